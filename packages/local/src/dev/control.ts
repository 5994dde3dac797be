import { driftedAttributes } from "@lambdaform/review";
import { ConsoleApi } from "../console/api.ts";
import { type Faults, parseFaultSettings } from "../gateway/faults.ts";
import type { Routing } from "../gateway/routing.ts";
import { jsonReply, type Reply } from "../http/reply.ts";
import { type NameKind, UnknownNameError } from "../names.ts";
import { scheduledEvent } from "../sources/schedule/event.ts";
import type { StackDeadLetters } from "./dlq.ts";

/**
 * The control API of a running `pnpm dev` (`/_lambdaform/health`, `/_lambdaform/trigger/<rule>`,
 * …): the server's side. The state file that tells other commands where it runs, and the client
 * they use, are in control-client.ts.
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
export type UnknownNameBody = {
  message: string;
  unknown: { kind: NameKind; value: string; choices: string[] };
};

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
