/**
 * Asynchronous (Event) invocations, kept apart from the function's environments: what Lambda's
 * event queue does on top of a synchronous invoke (retries, event age, the invocation record, the
 * on-failure destination and its size limit, the metrics and notices) depends only on that invoke,
 * so it is written against it and can be read and tested without the pool or the environments.
 */
import { randomUUID } from "node:crypto";
import type { AsyncSettings } from "../stack/read-stack.ts";
import { type FailureDestination, type InvocationRecord, SQS_MAX_MESSAGE_BYTES } from "./dead-letters.ts";
import type { EventQueue } from "./event-queue.ts";
import { fitRecord, invocationRecord } from "./invocation-record.ts";
import { ThrottledError } from "./pool.ts";
import type { AsyncMetricName, InvocationResult, RuntimeEvent, RuntimeEventSink } from "./types.ts";

/**
 * The largest event an asynchronous (Event) invocation takes: 1 MB (1,048,576 bytes of JSON) since
 * October 2025, 256 KB before.
 */
export const MAX_ASYNC_EVENT_BYTES = 1_048_576;

/** Lambda's 413 for an event too large to invoke with (`RequestEntityTooLargeException`). */
export class RequestTooLargeError extends Error {
  override readonly name = "RequestEntityTooLargeException";
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`Request must be smaller than ${limit} bytes for the InvokeFunction operation`);
  }
}

/**
 * How an asynchronous invocation ended:
 * - `succeeded`: an attempt succeeded.
 * - `failed`: every attempt failed (or the event grew too old); its record went to the on-failure
 *   destination (`deadLetter`), or there is none configured.
 * - `dropped`: it failed and its record could not be delivered to the on-failure destination
 *   (`reason` says why: the role lacks `sqs:SendMessage`, the queue is gone, …), or the runtime
 *   could not run it at all; the event is lost, as on Lambda.
 * - `abandoned`: the runtime was closed (e.g. Ctrl-C) before the event could run or be retried.
 */
export interface AsyncOutcome {
  readonly requestId: string;
  readonly status: "succeeded" | "failed" | "dropped" | "abandoned";
  readonly attempts: number;
  readonly results: ReadonlyArray<InvocationResult>;
  readonly deadLetter?: {
    readonly queueName: string;
    readonly record: InvocationRecord;
    /** The record was over the queue's size limit: sent without its payloads, as Lambda does. */
    readonly payloadsDropped?: boolean;
  };
  /** Why a `dropped` event was lost. */
  readonly reason?: string;
}

export interface AsyncInvocationsOptions {
  readonly functionName: string;
  /** The function's unqualified ARN; records name `<arn>:$LATEST`. */
  readonly functionArn: string;
  readonly settings: AsyncSettings;
  /**
   * One attempt: a synchronous invocation under the event's request id. Resolves also when the
   * function failed; rejects with {@link ThrottledError} when there is no room for it.
   */
  readonly invoke: (event: unknown, requestId: string, attempt: number) => Promise<InvocationResult>;
  /** True once the runtime is closed: queued events and pending retries are abandoned then. */
  readonly closed: () => boolean;
  /** Delay before async retry N (1-based). */
  readonly retryDelayMs: (attempt: number) => number;
  readonly destination?: FailureDestination | undefined;
  readonly onEvent?: RuntimeEventSink | undefined;
  /** Milliseconds since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The durable event queue: an event is written there when accepted and removed once it ended. */
  readonly queue?: EventQueue | undefined;
}

/** An event accepted earlier (by a runtime that closed, or a killed pnpm dev), run again. */
export interface Resumed {
  readonly requestId: string;
  readonly acceptedAt: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One function's event queue: takes events, retries them, and delivers or drops what failed. */
export class AsyncInvocations {
  private readonly counters: Record<AsyncMetricName, number> = {
    AsyncEventsReceived: 0,
    AsyncEventsDropped: 0,
    DestinationDeliveryFailures: 0,
  };
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: AsyncInvocationsOptions) {
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? sleep;
  }

  /** What has been counted of Lambda's asynchronous-invocation metrics so far. */
  get metrics(): Readonly<Record<AsyncMetricName, number>> {
    return { ...this.counters };
  }

  /**
   * Queues an event (`resumed`: one accepted before, under its request id and age); `completion`
   * never rejects. With a durable queue, the event is on disk when this returns and leaves it once
   * it ended; an `abandoned` one stays there for the next runtime.
   *
   * @throws {RequestTooLargeError} when the event's JSON is over {@link MAX_ASYNC_EVENT_BYTES}.
   */
  start(event: unknown, resumed?: Resumed): { requestId: string; completion: Promise<AsyncOutcome> } {
    const bytes = Buffer.byteLength(JSON.stringify(event ?? null));
    if (bytes > MAX_ASYNC_EVENT_BYTES) throw new RequestTooLargeError(bytes, MAX_ASYNC_EVENT_BYTES);
    const requestId = resumed?.requestId ?? randomUUID();
    const acceptedAt = resumed?.acceptedAt ?? this.now();
    const { queue, functionName } = this.options;
    queue?.accept({ functionName, requestId, event, acceptedAt });
    if (!resumed) this.count("AsyncEventsReceived");
    const completion = this.run(requestId, event, acceptedAt)
      .catch((error: Error) => {
        // Not a failure of the function: the runtime could not run the event (it failed to start
        // an environment, say). It is lost, as an event Lambda cannot process is.
        const reason = `the runtime could not run it: ${error.message}`;
        this.count("AsyncEventsDropped");
        this.notice("error", "AsyncInvocationError", requestId, reason);
        return { requestId, status: "dropped", attempts: 0, results: [], reason } satisfies AsyncOutcome;
      })
      .then((outcome) => {
        if (outcome.status === "abandoned") queue?.release(requestId);
        else queue?.settle(requestId);
        return outcome;
      });
    return { requestId, completion };
  }

  private count(metric: AsyncMetricName): void {
    this.counters[metric] += 1;
    this.emit({
      type: "metric",
      functionName: this.options.functionName,
      metric,
      value: 1,
      timestamp: new Date(this.now()),
    });
  }

  private notice(
    level: "warn" | "error",
    code: Extract<RuntimeEvent, { type: "notice" }>["code"],
    requestId: string,
    message: string,
    queueName?: string,
  ): void {
    const { functionName } = this.options;
    this.emit({
      type: "notice",
      level,
      code,
      functionName,
      requestId,
      ...(queueName === undefined ? {} : { queueName }),
      message: `${functionName}: asynchronous invocation ${requestId}: ${message}`,
    });
  }

  private emit(event: RuntimeEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A sink that throws must not end the invocation it reports on.
    }
  }

  private async run(requestId: string, event: unknown, enqueued: number): Promise<AsyncOutcome> {
    const { settings, closed, retryDelayMs } = this.options;
    const { maximumRetryAttempts, maximumEventAgeSeconds } = settings;
    const results: InvocationResult[] = [];
    let condition: InvocationRecord["requestContext"]["condition"] = "RetriesExhausted";
    let attempts = 0;
    while (attempts <= maximumRetryAttempts) {
      if (this.now() - enqueued > maximumEventAgeSeconds * 1000) {
        condition = "EventAgeExceeded";
        break;
      }
      let result: InvocationResult;
      try {
        if (closed()) return { requestId, status: "abandoned", attempts, results };
        this.emit({
          type: "metric",
          functionName: this.options.functionName,
          metric: "AsyncEventAge",
          value: Math.max(0, this.now() - enqueued),
          timestamp: new Date(this.now()),
        });
        result = await this.options.invoke(event, requestId, attempts + 1);
      } catch (error) {
        if (closed()) return { requestId, status: "abandoned", attempts, results };
        if (!(error instanceof ThrottledError)) throw error;
        // Throttled events are retried until they are too old, without using up attempts.
        await this.sleep(retryDelayMs(1));
        continue;
      }
      attempts += 1;
      results.push(result);
      if (!result.functionError) return { requestId, status: "succeeded", attempts, results };
      if (attempts <= maximumRetryAttempts) await this.sleep(retryDelayMs(attempts));
    }
    // Lambda counts every event that ends without a successful run as dropped, also when its record
    // then reaches the on-failure destination.
    this.count("AsyncEventsDropped");
    const record = invocationRecord({
      requestId,
      functionArn: this.options.functionArn,
      event,
      condition,
      attempts,
      last: results.at(-1),
      now: this.now(),
    });
    const { status, ...delivered } = await this.deliver(record);
    return { requestId, status, attempts, results, ...delivered };
  }

  /**
   * Sends a failed event's record to the on-failure destination, when there is one: `failed` when it
   * got there (or there is none), `dropped` with the reason when the destination refused it.
   */
  private async deliver(
    record: InvocationRecord,
  ): Promise<Pick<AsyncOutcome, "status" | "deadLetter" | "reason">> {
    const { settings, destination } = this.options;
    const onFailure = settings.onFailure;
    if (!onFailure || !destination) return { status: "failed" };
    const queueName = onFailure.queueName;
    const requestId = record.requestContext.requestId;
    try {
      const limit = (await destination.maxRecordBytes?.(queueName)) ?? SQS_MAX_MESSAGE_BYTES;
      const sent = fitRecord(record, limit);
      if (sent.payloadsDropped)
        this.notice(
          "warn",
          "RecordPayloadDropped",
          requestId,
          `its record (${sent.bytes} bytes) is over the maximum message size of ${queueName} (${limit} bytes): ` +
            "sent without requestPayload and responsePayload, as Lambda sends it",
          queueName,
        );
      await destination.deliver(queueName, sent.record);
      return {
        status: "failed",
        deadLetter: {
          queueName,
          record: sent.record,
          ...(sent.payloadsDropped ? { payloadsDropped: true } : {}),
        },
      };
    } catch (error) {
      const e = error as Error;
      const reason = `its record could not be sent to on-failure destination ${queueName}: ${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}`;
      this.count("DestinationDeliveryFailures");
      this.notice(
        "error",
        "DestinationDeliveryFailed",
        requestId,
        `${reason}. The event is lost; check that the queue exists and that the function's role may sqs:SendMessage to it.`,
        queueName,
      );
      return { status: "dropped", reason };
    }
  }
}
