import type { RawOutcome } from "./environment.ts";
import type { InvocationResult, LambdaError } from "./types.ts";

const MB = 1024 * 1024;

/** What an invocation produced: an environment's outcome, or a failed init reported on it. */
export type FramedOutcome =
  | RawOutcome
  | {
      readonly ok: false;
      readonly error: LambdaError;
      readonly durationMs: number;
      readonly maxMemoryBytes: number;
      readonly fatal: true;
      readonly lines: ReadonlyArray<string>;
    };

/**
 * An invocation as Lambda reports it: the caller's result, and its log framed by START, END and
 * REPORT (Duration, Billed Duration, Memory Size, Max Memory Used, Init Duration on a cold start,
 * and the status of a timeout or a crash).
 */
export function frameInvocation(input: {
  readonly requestId: string;
  readonly functionName: string;
  readonly memoryMb: number;
  /** Set on a cold start. */
  readonly initDurationMs: number | undefined;
  readonly outcome: FramedOutcome;
}): InvocationResult {
  const { requestId, memoryMb, initDurationMs, outcome } = input;
  // Since August 2025 Lambda bills the init phase of on-demand zip functions too.
  const billedDurationMs = Math.ceil(outcome.durationMs + (initDurationMs ?? 0));
  const maxMemoryUsedMb = Math.min(memoryMb, Math.max(1, Math.ceil(outcome.maxMemoryBytes / MB)));
  const status = outcome.ok
    ? ""
    : outcome.error?.errorType === "Sandbox.Timedout"
      ? "\tStatus: timeout"
      : outcome.fatal
        ? `\tStatus: error\tError Type: ${outcome.error?.errorType}`
        : "";
  const report =
    `REPORT RequestId: ${requestId}\tDuration: ${outcome.durationMs.toFixed(2)} ms\tBilled Duration: ${billedDurationMs} ms` +
    `\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${maxMemoryUsedMb} MB` +
    (initDurationMs === undefined ? "" : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`) +
    status;
  return {
    requestId,
    functionName: input.functionName,
    functionError: outcome.ok ? undefined : "Unhandled",
    payload: outcome.ok ? JSON.parse(outcome.payloadJson ?? "null") : outcome.error,
    coldStart: initDurationMs !== undefined,
    durationMs: outcome.durationMs,
    billedDurationMs,
    initDurationMs,
    memorySizeMb: memoryMb,
    maxMemoryUsedMb,
    logs: [
      `START RequestId: ${requestId} Version: $LATEST`,
      ...outcome.lines,
      `END RequestId: ${requestId}`,
      report,
    ],
  };
}
