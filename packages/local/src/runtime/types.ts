/** Lambda's error shape, as returned to the caller of a failed invocation. */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: ReadonlyArray<string>;
}

/** One finished invocation, as the caller and the logs see it. */
export interface InvocationResult {
  readonly requestId: string;
  readonly functionName: string;
  /** `Unhandled` when the function failed (Lambda's `X-Amz-Function-Error`), undefined on success. */
  readonly functionError?: "Unhandled";
  /** The response payload: the handler's result, or the LambdaError. */
  readonly payload: unknown;
  readonly coldStart: boolean;
  readonly durationMs: number;
  readonly billedDurationMs: number;
  readonly initDurationMs?: number;
  readonly memorySizeMb: number;
  readonly maxMemoryUsedMb: number;
  /** Every log line of the invocation, START to REPORT. */
  readonly logs: ReadonlyArray<string>;
}

/** Receives each log line as it is written: `pnpm invoke` prints them, `pnpm dev` ships them to CloudWatch Logs. */
export type LogSink = (
  line: string,
  meta: { readonly functionName: string; readonly logStreamName: string },
) => void;
