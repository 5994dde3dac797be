/**
 * What the console shows that only this process knows: the invocations as they ended, the
 * functions' log lines, the alarms' state changes and each function's durations (for p50 and p99,
 * which moto does not compute). Each keeps a bounded window in memory and tells its listeners of
 * every new entry at once, which is how an invocation reaches an open console as it ends.
 */
import { redactEvent } from "@lambdaform/shared";
import type { InvocationOrigin, InvocationReport } from "../runtime/types.ts";

/** A fixed-size window over the newest entries, each numbered in arrival order from 1. */
export class Window<T> {
  private readonly entries: Array<T & { readonly seq: number }> = [];
  private next = 1;
  private readonly listeners = new Set<(entry: T & { readonly seq: number }) => void>();

  constructor(private readonly capacity: number) {}

  push(entry: T): T & { readonly seq: number } {
    const numbered = { ...entry, seq: this.next++ };
    this.entries.push(numbered);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    for (const listener of this.listeners) {
      try {
        listener(numbered);
      } catch {
        // A listener (an SSE connection) that fails must not stop the others or the runtime.
      }
    }
    return numbered;
  }

  /** The entries after `seq` (all kept ones for 0), oldest first, at most `limit` of the newest. */
  after(seq = 0, limit = this.capacity): Array<T & { readonly seq: number }> {
    const newer = this.entries.filter((e) => e.seq > seq);
    return newer.slice(Math.max(0, newer.length - limit));
  }

  find(seq: number): (T & { readonly seq: number }) | undefined {
    return this.entries.find((e) => e.seq === seq);
  }

  /** Calls `listener` with every entry pushed from now on; returns the function that stops it. */
  listen(listener: (entry: T & { readonly seq: number }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

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

type Kept = InvocationRow & { readonly eventJson: string; readonly response?: unknown; logs: string[] };

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
    if (key === "body" && typeof inner === "string" && inner.startsWith("{")) {
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
  readonly window: Window<Kept>;

  constructor(capacity = 500) {
    this.window = new Window<Kept>(capacity);
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
  rows(after = 0, limit = 200): InvocationRow[] {
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

function rowOf(kept: Kept & { seq: number }): InvocationRow & { seq: number } {
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

/**
 * Each function's durations by minute for the last hour, for the Metrics section's p50 and p99:
 * the runtime publishes Duration to moto as statistic sets, and moto computes no percentiles.
 */
export class DurationWindow {
  /** function → minute (ms since the epoch) → durations (at most 2,000 kept per minute). */
  private readonly byFunction = new Map<string, Map<number, number[]>>();

  add(functionName: string, durationMs: number, at: number): void {
    let minutes = this.byFunction.get(functionName);
    if (!minutes) {
      minutes = new Map();
      this.byFunction.set(functionName, minutes);
    }
    const minute = Math.floor(at / 60_000) * 60_000;
    let samples = minutes.get(minute);
    if (!samples) {
      samples = [];
      minutes.set(minute, samples);
      for (const old of minutes.keys()) if (old < minute - 3_600_000) minutes.delete(old);
    }
    // Past the cap a minute keeps a uniform sample (reservoir), so its percentiles stay fair.
    if (samples.length < 2000) samples.push(durationMs);
    else {
      const slot = Math.floor(Math.random() * (samples.length + 1));
      if (slot < samples.length) samples[slot] = durationMs;
    }
  }

  /** Per minute of the last hour with invocations: its p50 and p99, oldest first. */
  percentiles(functionName: string, now = Date.now()): Array<{ time: number; p50: number; p99: number }> {
    const minutes = this.byFunction.get(functionName);
    if (!minutes) return [];
    return [...minutes.entries()]
      .filter(([minute]) => minute >= now - 3_600_000)
      .sort(([a], [b]) => a - b)
      .map(([time, samples]) => {
        const sorted = [...samples].sort((a, b) => a - b);
        return { time, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
      });
  }
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: ReadonlyArray<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** Everything the console reads from this process, fed by the deployments. */
export class ConsoleFeeds {
  readonly invocations = new InvocationFeed();
  readonly logs = new LogFeed();
  readonly alarms = new Window<AlarmChange>(500);
  readonly durations = new DurationWindow();

  invocation(report: InvocationReport): void {
    this.invocations.add(report);
    if (report.result) this.durations.add(report.functionName, report.result.durationMs, report.endedAt);
  }
}
