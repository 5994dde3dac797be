import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Routing } from "../gateway/routing.ts";
import { jsonReply, type Reply } from "../http/reply.ts";
import { type NameKind, UnknownNameError } from "../names.ts";
import { scheduledEvent } from "../sources/schedule/event.ts";

/**
 * The control API of a running `pnpm dev` (`/_lambdaform/health`, `/_lambdaform/trigger/<rule>`),
 * the state file that tells other commands where it runs, and the client they use. Both sides of
 * the protocol live here.
 */

/** What a trigger did: each target of the rule and how its invocation ended. */
export interface TriggerResult {
  readonly rule: string;
  readonly results: ReadonlyArray<{ functionName: string; status: string; attempts: number }>;
}

/** Fires an EventBridge rule now with a Scheduled Event and waits for its targets to finish. */
export async function fireRule(routing: Routing, ruleName: string): Promise<TriggerResult> {
  const { deployed, runtime } = routing;
  const rule = deployed.rules.find((r) => r.name === ruleName || r.name.endsWith(`-${ruleName}`));
  if (!rule)
    throw new UnknownNameError(
      "rule",
      ruleName,
      deployed.rules.map((r) => r.name),
    );
  const event = scheduledEvent({ ruleArn: rule.arn, region: deployed.region, account: deployed.accountId });
  const outcomes = await Promise.all(
    rule.targets.map(async (t) => ({
      functionName: t.functionName,
      outcome: await runtime.function(t.functionName).invokeAsync(event).completion,
    })),
  );
  return {
    rule: rule.name,
    results: outcomes.map((o) => ({
      functionName: o.functionName,
      status: o.outcome.status,
      attempts: o.outcome.attempts,
    })),
  };
}

/** An unknown name, as the control API answers it (404), so the client can raise the same error. */
type UnknownNameBody = { message: string; unknown: { kind: NameKind; value: string; choices: string[] } };

/** Serves the control routes; undefined for a path that is not one. */
export async function handleControl(path: string, routing: Routing | undefined): Promise<Reply | undefined> {
  if (path === "health") return jsonReply(200, { ok: true, ready: routing !== undefined });
  const trigger = /^trigger\/(.+)$/.exec(path);
  if (!trigger) return undefined;
  if (!routing)
    return jsonReply(503, { message: "the local stack is still starting; try again when it is ready" });
  try {
    return jsonReply(200, await fireRule(routing, decodeURIComponent(trigger[1] ?? "")));
  } catch (error) {
    if (error instanceof UnknownNameError) {
      const body: UnknownNameBody = {
        message: error.message,
        unknown: { kind: error.kind, value: error.value, choices: [...error.choices] },
      };
      return jsonReply(404, body);
    }
    return jsonReply(500, { message: (error as Error).message });
  }
}

/** Where a stage's `pnpm dev` keeps its data (moto's recording, Terraform state, the state file). */
export function devDataDir(dataRoot: string, stage: string): string {
  return join(dataRoot, "dev", stage);
}

/** The state file a running `pnpm dev` writes: its gateway's port and its pid. */
function stateFile(devDir: string): string {
  return join(devDir, "gateway.json");
}

export interface DevState {
  readonly port: number;
  readonly pid: number;
}

/** Records where the gateway listens; returns the function that removes the record again. */
export function writeDevState(devDir: string, state: DevState): () => void {
  mkdirSync(devDir, { recursive: true });
  const file = stateFile(devDir);
  writeFileSync(file, `${JSON.stringify(state)}\n`);
  return () => rmSync(file, { force: true });
}

/** The state of the stage's running `pnpm dev`, or undefined when none is running. */
export function readDevState(devDir: string): DevState | undefined {
  const file = stateFile(devDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as DevState;
}

/** The client of a running `pnpm dev`'s control API (what `pnpm trigger` uses). */
export class ControlClient {
  constructor(readonly endpoint: string) {}

  /** The client of the stage's running `pnpm dev`, or undefined when none is running. */
  static forDevDir(devDir: string): ControlClient | undefined {
    const state = readDevState(devDir);
    return state ? new ControlClient(`http://127.0.0.1:${state.port}`) : undefined;
  }

  /**
   * Fires a rule now and waits for its targets.
   *
   * @throws {UnknownNameError} when the stack has no such rule.
   */
  async trigger(rule: string): Promise<TriggerResult> {
    const response = await fetch(`${this.endpoint}/_lambdaform/trigger/${encodeURIComponent(rule)}`, {
      method: "POST",
    });
    const body = (await response.json()) as Partial<UnknownNameBody> & TriggerResult;
    if (response.ok) return body;
    if (body.unknown) throw new UnknownNameError(body.unknown.kind, body.unknown.value, body.unknown.choices);
    throw new Error(body.message ?? `the local stack answered HTTP ${response.status}`);
  }
}
