/**
 * What the console shows that only this process knows: the invocations as they ended, the
 * functions' log lines, the alarms' state changes and each function's durations (for p50 and p99,
 * which moto does not compute). Each keeps a bounded window in memory and tells its listeners of
 * every new entry at once, which is how an invocation reaches an open console as it ends.
 */
import { randomUUID } from "node:crypto";
import { redactEvent } from "@lambdaform/shared";
import type { InvocationOrigin, InvocationReport } from "../runtime/types.ts";
import { DurationWindow, Window } from "./window.ts";

/** One row of the console's Invocations. */
export interface InvocationRow {
  readonly requestId: string;
  readonly functionName: string;
  readonly origin: InvocationOrigin;
  readonly endedAt: number;
  readonly status: "ok" | "error" | "throttled";
  readonly durationMs?: number;
  readonly billedDurationMs?: number;
  readonly maxMemoryUsedMb?: number;
  readonly memorySizeMb?: number;
  readonly coldStart?: boolean;
  readonly initDurationMs?: number;
  /** The error's type, for a failed one. */
  readonly errorType?: string;
}

/** An invocation with what selecting it shows: its log lines, event and response, redacted. */
export interface InvocationDetail extends InvocationRow {
  readonly logs: ReadonlyArray<string>;
  readonly event: unknown;
  readonly response: unknown;
}

/** Events and responses over this size are shown cut (the window keeps at most this much of each). */
export const MAX_SHOWN_PAYLOAD_BYTES = 64 * 1024;

export type KeptInvocation = InvocationRow & {
  readonly eventJson: string;
  readonly response?: unknown;
  logs: string[];
};

/** What the console keeps of a payload too large to show. */
const tooLarge = (json: string) =>
  JSON.stringify({
    "[lambdaform]": `${json.length} bytes, over the console's ${MAX_SHOWN_PAYLOAD_BYTES}: not kept`,
  });

/** A response small enough to keep as it is, or what it was. */
function keptResponse(payload: unknown): unknown {
  const json = JSON.stringify(payload ?? null);
  return json.length > MAX_SHOWN_PAYLOAD_BYTES ? JSON.parse(tooLarge(json)) : payload;
}

/** The first and last 100 lines of a long log (the whole log is in CloudWatch Logs). */
function keptLogs(logs: ReadonlyArray<string>): string[] {
  const cut = (l: string) => (l.length > 4096 ? `${l.slice(0, 4096)}… (${l.length} characters)` : l);
  if (logs.length <= 200) return logs.map(cut);
  return [
    ...logs.slice(0, 100).map(cut),
    `[lambdaform] ${logs.length - 200} lines not kept here: see pnpm logs or the Logs section`,
    ...logs.slice(-100).map(cut),
  ];
}

/** Parses JSON, or shows the text as it is. */
function shown(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

/**
 * Credentials out of anything the console shows: an event or a response that is, or carries, an API
 * Gateway event (hello-api echoes its event) is redacted as hello-api redacts it.
 */
export function redacted(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(redacted);
  const record = value as Record<string, unknown>;
  const copy: Record<string, unknown> =
    "headers" in record || "multiValueHeaders" in record || "requestContext" in record
      ? (redactEvent(record) as Record<string, unknown>)
      : { ...record };
  for (const [key, inner] of Object.entries(copy))
    if (key === "body" && typeof inner === "string" && /^\s*[[{]/.test(inner)) {
      const parsed = shown(inner);
      if (typeof parsed === "object" && parsed !== null) copy[key] = JSON.stringify(redacted(parsed));
    } else if (
      typeof inner === "object" &&
      inner !== null &&
      key !== "headers" &&
      key !== "multiValueHeaders"
    )
      copy[key] = redacted(inner);
  return copy;
}

/** The newest invocations of every function (500 by default). */
export class InvocationFeed {
  readonly window: Window<KeptInvocation>;

  constructor(capacity = 500) {
    this.window = new Window<KeptInvocation>(capacity);
  }

  add(report: InvocationReport): void {
    const { result } = report;
    const payload = result?.payload as { errorType?: unknown } | undefined;
    this.window.push({
      requestId: report.requestId,
      functionName: report.functionName,
      origin: report.origin,
      endedAt: report.endedAt,
      status: !result ? "throttled" : result.functionError ? "error" : "ok",
      ...(result
        ? {
            durationMs: result.durationMs,
            billedDurationMs: result.billedDurationMs,
            maxMemoryUsedMb: result.maxMemoryUsedMb,
            memorySizeMb: result.memorySizeMb,
            coldStart: result.coldStart,
            ...(result.initDurationMs !== undefined ? { initDurationMs: result.initDurationMs } : {}),
            ...(result.functionError && typeof payload?.errorType === "string"
              ? { errorType: payload.errorType }
              : {}),
            // Kept within the size shown, as the event is: a window of large responses or logs
            // would otherwise hold gigabytes.
            response: keptResponse(result.payload),
            logs: keptLogs(result.logs),
          }
        : { logs: [] }),
      // Kept only up to the size shown: a window of 500 six-megabyte events would be 3 GB.
      eventJson:
        report.eventJson.length > MAX_SHOWN_PAYLOAD_BYTES ? tooLarge(report.eventJson) : report.eventJson,
    });
  }

  /** The rows after `seq`, newest last. */
  rows(after = 0, limit = 200): Array<InvocationRow & { seq: number }> {
    return this.window.after(after, limit).map(rowOf);
  }

  /** One invocation whole, redacted; undefined when it left the window. */
  detail(seq: number): (InvocationDetail & { seq: number }) | undefined {
    const kept = this.window.find(seq);
    if (!kept) return undefined;
    return {
      ...rowOf(kept),
      logs: kept.logs,
      event: redacted(shown(kept.eventJson)),
      response: redacted(kept.response),
    };
  }
}

/** What a row of Invocations shows of a kept invocation. */
export function rowOf(kept: KeptInvocation & { seq: number }): InvocationRow & { seq: number } {
  const { eventJson: _event, response: _response, logs: _logs, ...row } = kept;
  return row;
}

/** One line of a function's log. */
export interface LogLine {
  readonly functionName: string;
  readonly stream: string;
  readonly time: number;
  readonly line: string;
}

/** The newest log lines of all functions (5,000 by default). */
export class LogFeed {
  readonly window: Window<LogLine>;

  constructor(capacity = 5000) {
    this.window = new Window<LogLine>(capacity);
  }

  add(functionName: string, stream: string, line: string): void {
    this.window.push({ functionName, stream, time: Date.now(), line });
  }

  /** A function's lines after `seq` that contain `filter` (case-insensitively), newest last. */
  lines(options: {
    functionName?: string;
    filter?: string;
    after?: number;
    limit?: number;
  }): Array<LogLine & { seq: number }> {
    const filter = options.filter?.toLowerCase();
    const matching = this.window
      .after(options.after ?? 0)
      .filter(
        (l) =>
          (!options.functionName || l.functionName === options.functionName) &&
          (!filter || l.line.toLowerCase().includes(filter)),
      );
    return matching.slice(Math.max(0, matching.length - (options.limit ?? 500)));
  }
}

/** An alarm's change of state, as the local evaluator made it. */
export interface AlarmChange {
  readonly alarmName: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly time: number;
}

/** Everything the console reads from this process, fed by the deployments. */
export class ConsoleFeeds {
  /**
   * This process's run: the windows number their entries from 1 again after a restart of pnpm dev,
   * so a page that saw entries up to 300 of the last run asks for them all, not for those after 300.
   */
  readonly boot = randomUUID().slice(0, 8);
  readonly invocations = new InvocationFeed();
  readonly logs = new LogFeed();
  readonly alarms = new Window<AlarmChange>(500);
  readonly durations = new DurationWindow();

  invocation(report: InvocationReport): void {
    this.invocations.add(report);
    if (report.result) this.durations.add(report.functionName, report.result.durationMs, report.endedAt);
  }
}
