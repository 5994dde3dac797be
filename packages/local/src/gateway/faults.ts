import type { Reply } from "../http/reply.ts";
import { awsError, errorShapeOf } from "./aws-error.ts";
import type { Call } from "./classify.ts";

/**
 * Fault injection for `pnpm dev --faults` (what `pnpm reliability` drives through the control API):
 * a dependency that is down, and S3 event delivery as AWS allows it to be (at least once, in any
 * order). Off unless pnpm dev was started with `--faults`; nothing here runs otherwise.
 */

/** A service (or one of its resources) that answers 503 ServiceUnavailable while the fault is set. */
export interface Unavailable {
  /** The SigV4 signing name: `dynamodb`, `s3`, `sqs`, … */
  readonly service: string;
  /** Only calls on this resource: a table's or queue's name, a bucket (any resource when absent). */
  readonly resource?: string;
}

/** How S3 event notifications are delivered while the fault is set. */
export interface S3Delivery {
  /** Each event is delivered this many times (1 to 5): S3 delivers at least once. */
  readonly copies: number;
  /**
   * Events are held this long (0 to 10,000 ms) after their write, then the held events of each key
   * are delivered newest first: S3 does not promise order.
   */
  readonly holdMs: number;
}

export interface FaultSettings {
  readonly unavailable: ReadonlyArray<Unavailable>;
  readonly s3Delivery?: S3Delivery;
}

/** What the faults did since they were last set. */
export interface FaultCounters {
  /** Calls answered 503 ServiceUnavailable. */
  refused: number;
  /** S3 events produced, and the deliveries made of them (copies included). */
  s3Events: number;
  s3Deliveries: number;
}

/** A bad fault setting, named by its field (the control API answers it with a 400). */
export class FaultSettingError extends Error {}

const NONE: FaultSettings = { unavailable: [] };

/** Reads the control API's body, refusing anything it does not know, naming the field. */
export function parseFaultSettings(body: Record<string, unknown>): FaultSettings {
  for (const key of Object.keys(body))
    if (key !== "unavailable" && key !== "s3Delivery")
      throw new FaultSettingError(`unknown field "${key}": faults take "unavailable" and "s3Delivery"`);
  const unavailable = body.unavailable ?? [];
  if (!Array.isArray(unavailable))
    throw new FaultSettingError('"unavailable" must be a list of {service, resource?}');
  const parsed = unavailable.map((entry: unknown, i): Unavailable => {
    const e = entry as Record<string, unknown> | null;
    if (typeof e?.service !== "string" || !/^[a-z0-9-]{2,40}$/.test(e.service))
      throw new FaultSettingError(`"unavailable[${i}].service" must be a signing name such as "dynamodb"`);
    if (e.resource !== undefined && (typeof e.resource !== "string" || e.resource === ""))
      throw new FaultSettingError(`"unavailable[${i}].resource" must be a non-empty name`);
    return e.resource === undefined ? { service: e.service } : { service: e.service, resource: e.resource };
  });
  const delivery = body.s3Delivery as Record<string, unknown> | undefined | null;
  if (delivery === undefined || delivery === null) return { unavailable: parsed };
  const copies = delivery.copies ?? 1;
  const holdMs = delivery.holdMs ?? 0;
  if (!Number.isInteger(copies) || (copies as number) < 1 || (copies as number) > 5)
    throw new FaultSettingError('"s3Delivery.copies" must be a whole number from 1 to 5');
  if (!Number.isInteger(holdMs) || (holdMs as number) < 0 || (holdMs as number) > 10_000)
    throw new FaultSettingError('"s3Delivery.holdMs" must be a whole number of ms from 0 to 10000');
  return { unavailable: parsed, s3Delivery: { copies: copies as number, holdMs: holdMs as number } };
}

/** The resource names a call acts on (the last part of each checked ARN: a table, a queue, a bucket). */
function resourcesOf(call: Call): string[] {
  return call.checks.map((check) => {
    const arn = check.resource;
    const table = /:table\/([^/]+)/.exec(arn);
    if (table?.[1]) return table[1];
    const s3 = /^arn:aws:s3:::([^/]+)/.exec(arn);
    if (s3?.[1]) return s3[1];
    return arn.split(":").at(-1) ?? arn;
  });
}

/** At most this many keys' newest sequencers are kept (the rest are counted, not named). */
const NEWEST_KEPT = 100_000;

/** The faults set now, and what they did. */
export class Faults {
  private settings: FaultSettings = NONE;
  readonly counters: FaultCounters = { refused: 0, s3Events: 0, s3Deliveries: 0 };
  /** Under the S3 delivery fault: the newest sequencer delivered per `bucket/key`. */
  readonly newest = new Map<string, string>();

  get current(): FaultSettings {
    return this.settings;
  }

  /** Replaces every fault at once (`{}` clears them) and starts the counters again. */
  set(settings: FaultSettings): void {
    this.settings = settings;
    this.counters.refused = 0;
    this.counters.s3Events = 0;
    this.counters.s3Deliveries = 0;
    this.newest.clear();
  }

  /** Counts one S3 event produced under the delivery fault, keeping its key's newest sequencer. */
  s3Event(at: string, sequencer: string): void {
    this.counters.s3Events += 1;
    const known = this.newest.get(at);
    if ((known === undefined && this.newest.size < NEWEST_KEPT) || (known !== undefined && known < sequencer))
      this.newest.set(at, sequencer);
  }

  /** The 503 for a call to a service that is down, in the service's own error shape. */
  refusal(call: Call): Reply | undefined {
    const service = call.signature.service;
    const down = this.settings.unavailable.filter((u) => u.service === service);
    if (down.length === 0) return undefined;
    const resources = resourcesOf(call);
    if (!down.some((u) => u.resource === undefined || resources.includes(u.resource))) return undefined;
    this.counters.refused += 1;
    // DynamoDB's and S3's documented code for a 503; SDKs retry it as a transient error.
    return awsError(
      errorShapeOf(service),
      503,
      "ServiceUnavailable",
      `${service} is unavailable: a fault set with pnpm dev --faults (clear it with POST /_lambdaform/faults {})`,
    );
  }
}
