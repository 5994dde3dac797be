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

/**
 * The CloudWatch metrics (namespace `AWS/Lambda`, dimension `FunctionName`) the runtime counts for
 * asynchronous invocations, as Lambda publishes them:
 * - `AsyncEventsReceived`: events queued for the function.
 * - `AsyncEventsDropped`: events dropped without a successful run of the function (retries
 *   exhausted or too old), whether or not their record then reached the on-failure destination.
 * - `DestinationDeliveryFailures`: records Lambda could not send to the on-failure destination
 *   (the role lacks `sqs:SendMessage`, the queue is gone, the record is too large).
 */
export type AsyncMetricName = "AsyncEventsReceived" | "AsyncEventsDropped" | "DestinationDeliveryFailures";

/**
 * The metrics Lambda publishes for every invocation, as it does (namespace `AWS/Lambda`, dimension
 * `FunctionName`):
 * - `Invocations` (Count): each time the function's code ran, successfully or not; not throttles.
 * - `Errors` (Count): invocations that failed in the function (0 for the others, so an alarm on its
 *   Sum sees data whenever the function ran).
 * - `Throttles` (Count): invocations refused for want of concurrency.
 * - `Duration` (Milliseconds): the handler's time, per invocation.
 * - `ConcurrentExecutions` (Count, read as Maximum): environments busy when one starts.
 * - `AsyncEventAge` (Milliseconds): how long an asynchronous event waited before each attempt.
 */
export type InvocationMetricName =
  | "Invocations"
  | "Errors"
  | "Throttles"
  | "Duration"
  | "ConcurrentExecutions"
  | "AsyncEventAge";

export type LambdaMetricName = AsyncMetricName | InvocationMetricName;

/**
 * What the Lambda service, not the function, has to say about an invocation: a metric data point,
 * or a notice for whoever runs the stack (it never goes to the function's own log group).
 */
export type RuntimeEvent =
  | {
      readonly type: "metric";
      readonly functionName: string;
      readonly metric: LambdaMetricName;
      readonly value: number;
      readonly timestamp: Date;
    }
  | {
      readonly type: "notice";
      readonly level: "warn" | "error";
      /**
       * `DestinationDeliveryFailed`: a failed event's record could not be sent (the event is lost);
       * `RecordPayloadDropped`: it was sent without its payloads (too large for the queue);
       * `AsyncInvocationError`: the runtime could not run the event at all (it is lost).
       */
      readonly code: "DestinationDeliveryFailed" | "RecordPayloadDropped" | "AsyncInvocationError";
      readonly functionName: string;
      readonly requestId: string;
      readonly queueName?: string;
      /** One line, naming the function, the request and what to do. */
      readonly message: string;
    };

/** Receives each {@link RuntimeEvent}; it must not throw (what it throws is ignored). */
export type RuntimeEventSink = (event: RuntimeEvent) => void;

/**
 * What set an invocation off, as the console shows it: API Gateway, an S3 notification, an
 * EventBridge schedule, a direct invoke, a dead letter's redrive, or an async event's retry.
 */
export type InvocationOrigin = "api" | "s3" | "schedule" | "invoke" | "redrive" | "retry";

/** One invocation as it ended (or was throttled), for whoever watches the runtime (the console). */
export interface InvocationReport {
  readonly requestId: string;
  readonly functionName: string;
  readonly origin: InvocationOrigin;
  /** When it ended (ms since the epoch). */
  readonly endedAt: number;
  /** The event as the environment received it (JSON). */
  readonly eventJson: string;
  /** Undefined when it was throttled (it never ran). */
  readonly result?: InvocationResult;
}

/** Receives each {@link InvocationReport}; like a {@link RuntimeEventSink}, it must not throw. */
export type InvocationSink = (report: InvocationReport) => void;

/**
 * The origin an event's shape tells (an API Gateway proxy event, S3 records, a Scheduled Event);
 * `invoke` for any other.
 */
export function originOfEvent(eventJson: string): InvocationOrigin {
  // Substring tests, not a parse, on every invocation's hot path: API Gateway's events are made from
  // one template, S3's and EventBridge's by their generators. A direct invoke whose JSON happens to
  // carry the same keys is shown as that trigger.
  if (eventJson.includes('"httpMethod"') && eventJson.includes('"requestContext"')) return "api";
  if (eventJson.includes('"aws:s3"')) return "s3";
  if (eventJson.includes('"Scheduled Event"') && eventJson.includes('"aws.events"')) return "schedule";
  return "invoke";
}
