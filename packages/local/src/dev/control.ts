import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { driftedAttributes } from "@lambdaform/review";
import { ConsoleApi } from "../console/api.ts";
import { type FaultCounters, type Faults, parseFaultSettings } from "../gateway/faults.ts";
import type { Routing } from "../gateway/routing.ts";
import { jsonReply, type Reply } from "../http/reply.ts";
import { type NameKind, UnknownNameError } from "../names.ts";
import type { DeadLetter } from "../runtime/dead-letters.ts";
import { scheduledEvent } from "../sources/schedule/event.ts";
import type { Redriven, StackDeadLetters } from "./dlq.ts";

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

/** What a plan of the deployed stack against Terraform's state and moto would change. */
export interface PlanCheck {
  /** Resources the plan would create, update, replace or delete: `<action> <address>`. */
  readonly changes: ReadonlyArray<string>;
  /** Resources that changed outside Terraform (found by the plan's refresh). */
  readonly drift: ReadonlyArray<string>;
}

type PlanEntry = {
  address?: string;
  type?: string;
  change?: { actions?: string[]; before?: unknown; after?: unknown };
};

/**
 * Reads a plan's `terraform show -json`: every change but no-op and read, and the resources that
 * changed outside Terraform. A refresh that reads back an empty value of another kind (null for
 * [], the provider's normalising) is not drift: each drifted resource names its changed attributes.
 */
export function planCheckOf(plan: Record<string, unknown>): PlanCheck {
  const entries = (list: unknown) =>
    ((list as PlanEntry[] | undefined) ?? []).filter(
      (e) => !(e.change?.actions ?? []).every((a) => a === "no-op" || a === "read"),
    );
  return {
    changes: entries(plan.resource_changes).map((e) => `${e.change?.actions?.join("/")} ${e.address}`),
    drift: entries(plan.resource_drift).flatMap((e) => {
      const changed = driftedAttributes(e.change?.before, e.change?.after, e.type);
      return changed.length === 0 ? [] : [`${e.address} (${changed.join(", ")})`];
    }),
  };
}

/** What the control routes reach beyond the routing. */
export interface ControlServices {
  /** The stack's dead-letter queues. */
  readonly deadLetters: StackDeadLetters;
  /** Fault injection, present only under `pnpm dev --faults`. */
  readonly faults?: Faults;
  /** A real terraform plan (with refresh) of what is deployed: does state agree with moto? */
  readonly plan?: () => Promise<PlanCheck>;
  /** Asynchronous events accepted and not yet ended (queued, running, waiting for a retry). */
  readonly queued?: () => number;
  /** The console: its page, assets and API (`/_lambdaform/`, `assets/…`, `api/…`). */
  readonly console?: ConsoleApi;
}

/** A control request: its path under `/_lambdaform/`, method and body. */
export interface ControlRequest {
  readonly path: string;
  readonly method: string;
  readonly body: Buffer;
  readonly query?: URLSearchParams;
}

const notReady = () =>
  jsonReply(503, { message: "the local stack is still starting; try again when it is ready" });

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const value = JSON.parse(body.toString("utf8")) as unknown;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("the body must be a JSON object");
  return value as Record<string, unknown>;
}

/**
 * Serves the control routes (undefined for a path that is not one): `health`; `trigger/<rule>`;
 * `invoke/<function>` (body `{event, invocationType}`); `dlq` (the stack's dead letters) and
 * `dlq/redrive` (body `{queue, ids?}`).
 */
export async function handleControl(
  request: ControlRequest,
  routing: Routing | undefined,
  services: ControlServices,
): Promise<Reply | undefined> {
  const { path } = request;
  if (path === "health")
    return jsonReply(200, {
      ok: true,
      ready: routing !== undefined,
      ...(services.queued ? { queued: services.queued() } : {}),
    });
  if (path === "faults") return faultsRoute(request, services.faults);
  if (services.console && ConsoleApi.owns(path))
    return services.console.handle({ ...request, query: request.query ?? new URLSearchParams() }, routing);
  const trigger = /^trigger\/(.+)$/.exec(path);
  const invoke = /^invoke\/(.+)$/.exec(path);
  if (!trigger && !invoke && !["dlq", "dlq/redrive", "plan"].includes(path)) return undefined;
  if (!routing) return notReady();
  try {
    if (path === "plan")
      return services.plan
        ? jsonReply(200, await services.plan())
        : jsonReply(404, { message: "no plan here" });
    if (trigger) return jsonReply(200, await fireRule(routing, decodeURIComponent(trigger[1] ?? "")));
    const body = parseBody(request.body);
    if (invoke) {
      const fn = routing.runtime.function(decodeURIComponent(invoke[1] ?? ""));
      if (body.invocationType === "Event") return jsonReply(200, await fn.invokeAsync(body.event).completion);
      return jsonReply(200, await fn.invoke(body.event));
    }
    if (path === "dlq")
      return jsonReply(200, await services.deadLetters.list(routing, body.queue as string | undefined));
    const ids = Array.isArray(body.ids) ? body.ids.map(String) : undefined;
    return jsonReply(200, await services.deadLetters.redrive(routing, String(body.queue ?? ""), ids));
  } catch (error) {
    if (error instanceof UnknownNameError) {
      const unknown: UnknownNameBody = {
        message: error.message,
        unknown: { kind: error.kind, value: error.value, choices: [...error.choices] },
      };
      return jsonReply(404, unknown);
    }
    return jsonReply(500, { message: (error as Error).message });
  }
}

/**
 * `faults`: with a body, replaces the faults (`{}` clears them; see {@link parseFaultSettings});
 * answers what is set and what the faults did since. Refused unless pnpm dev runs with --faults.
 */
function faultsRoute(request: ControlRequest, faults: Faults | undefined): Reply {
  if (!faults)
    return jsonReply(403, {
      message: "fault injection is off: start pnpm dev with --faults to use /_lambdaform/faults",
    });
  if (request.body.length > 0) {
    try {
      faults.set(parseFaultSettings(parseBody(request.body)));
    } catch (error) {
      return jsonReply(400, { message: (error as Error).message });
    }
  }
  return jsonReply(200, {
    faults: faults.current,
    counters: faults.counters,
    newestSequencers: Object.fromEntries(faults.newest),
  });
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

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The state of the stage's running `pnpm dev`, or undefined when none is running. A record left by
 * a `pnpm dev` that was killed (its pid is gone) or is unreadable is removed.
 */
export function readDevState(devDir: string): DevState | undefined {
  const file = stateFile(devDir);
  if (!existsSync(file)) return undefined;
  let state: Partial<DevState> | undefined;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as Partial<DevState>;
  } catch {
    state = undefined;
  }
  if (typeof state?.pid === "number" && typeof state.port === "number" && alive(state.pid))
    return state as DevState;
  rmSync(file, { force: true });
  return undefined;
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
  trigger(rule: string): Promise<TriggerResult> {
    return this.call(`trigger/${encodeURIComponent(rule)}`, {});
  }

  /** Invokes a function in the running stack (as Lambda's Invoke API does) and waits for it. */
  invoke(
    functionName: string,
    event: unknown,
    invocationType: "RequestResponse" | "Event",
  ): Promise<unknown> {
    return this.call(`invoke/${encodeURIComponent(functionName)}`, { event, invocationType });
  }

  /** The dead letters in the stack's on-failure queues. */
  deadLetters(queue?: string): Promise<DeadLetter[]> {
    return this.call("dlq", queue ? { queue } : {});
  }

  /** Redrives a queue's dead letters (or only `ids`): deleted only once their invocation succeeds. */
  redrive(queue: string, ids?: ReadonlyArray<string>): Promise<Redriven[]> {
    return this.call("dlq/redrive", { queue, ids });
  }

  /**
   * Sets the faults (`{}` clears them) under `pnpm dev --faults`, or only reads them without
   * `settings`; answers what is set and what the faults did.
   */
  faults(settings?: Record<string, unknown>): Promise<{
    faults: unknown;
    counters: FaultCounters;
    newestSequencers: Record<string, string>;
  }> {
    return this.call("faults", settings);
  }

  /** A real terraform plan of the deployed stack: what it would change, and what drifted. */
  plan(): Promise<PlanCheck> {
    return this.call("plan", {});
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.endpoint}/_lambdaform/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as Partial<UnknownNameBody> & { message?: string };
    if (response.ok) return answer as T;
    if (answer.unknown)
      throw new UnknownNameError(answer.unknown.kind, answer.unknown.value, answer.unknown.choices);
    throw new Error(answer.message ?? `the local stack answered HTTP ${response.status}`);
  }
}
