import { randomUUID } from "node:crypto";
import type { FunctionSpec } from "../stack/read-stack.ts";
import { type FailureDestination, type InvocationRecord, SQS_MAX_MESSAGE_BYTES } from "./dead-letters.ts";
import { ExecutionEnvironment, newLogStreamName } from "./environment.ts";
import type { PausableTimer } from "./pausable-timer.ts";
import type { PauseMonitor } from "./pause-monitor.ts";
import { type Code, EnvironmentPool, ThrottledError } from "./pool.ts";
import { type FramedOutcome, frameInvocation } from "./report.ts";
import { StackTraceMapper } from "./source-maps.ts";
import type { AsyncMetricName, InvocationResult, LogSink, RuntimeEvent, RuntimeEventSink } from "./types.ts";

export { ThrottledError } from "./pool.ts";

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

export interface FunctionRuntimeOptions {
  readonly spec: FunctionSpec;
  readonly taskRoot: string;
  readonly region: string;
  readonly accountId: string;
  /** Variables added to the function's own: endpoints and credentials. */
  readonly extraEnv: Readonly<Record<string, string>>;
  /** Concurrency when Terraform reserves none (the account limit, locally). */
  readonly defaultConcurrency: number;
  /** Delay before async retry N (1-based). Lambda waits about 1 and then 2 minutes. */
  readonly retryDelayMs: (attempt: number) => number;
  readonly destination?: FailureDestination;
  readonly onLog?: LogSink;
  /**
   * The Lambda service's own output: CloudWatch metric data points (`AsyncEventsReceived`,
   * `AsyncEventsDropped`, `DestinationDeliveryFailures`) and notices such as a record the
   * on-failure destination refused. Never the function's log lines (those go to `onLog`).
   */
  readonly onEvent?: RuntimeEventSink;
  /** Under `--inspect`: stops an environment's clocks while a debugger holds it paused. */
  readonly pauses?: PauseMonitor;
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one function as Lambda does: a pool of execution environments (warm reuse, cold starts,
 * concurrency limit), synchronous invocations, and asynchronous ones with retries and an on-failure
 * destination.
 */
export class FunctionRuntime {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly pool: EnvironmentPool;

  constructor(readonly options: FunctionRuntimeOptions) {
    this.pool = new EnvironmentPool(
      {
        functionName: options.spec.name,
        limit: options.spec.reservedConcurrency ?? options.defaultConcurrency,
        throttle: options.spec.reservedConcurrency !== undefined,
        start: (code) => this.startEnvironment(code),
      },
      options.taskRoot,
    );
  }

  /** Where the code new environments run is unpacked. */
  get taskRoot(): string {
    return this.pool.taskRoot;
  }

  /**
   * Swaps the function's code: from now on every invocation starts in a fresh environment running
   * the code in `taskRoot`; invocations already running finish on the code they started with.
   * With `prewarm`, one environment of the new code is initialized at once (resolves when ready).
   */
  reload(taskRoot: string, options: { readonly prewarm?: boolean } = {}): Promise<void> {
    this.pool.reload(taskRoot);
    return options.prewarm ? this.pool.prewarm() : Promise.resolve();
  }

  get spec(): FunctionSpec {
    return this.options.spec;
  }

  get arn(): string {
    return `arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${this.spec.name}`;
  }

  get concurrencyLimit(): number {
    return this.spec.reservedConcurrency ?? this.options.defaultConcurrency;
  }

  /** Environments alive now (busy or idle). */
  get environments(): number {
    return this.pool.size;
  }

  private environmentVariables(taskRoot: string, logStreamName: string): Record<string, string> {
    const { spec, region } = this.options;
    return {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      ...spec.environment,
      ...this.options.extraEnv,
      // Lambda's reserved variables: the function's own configuration cannot change them.
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: taskRoot,
      _HANDLER: spec.handler,
    };
  }

  /** Starts an environment running `code`: the function's variables and the context's fixed part. */
  private startEnvironment(code: Code): Promise<ExecutionEnvironment> {
    const logStreamName = newLogStreamName();
    return ExecutionEnvironment.start({
      spec: this.spec,
      taskRoot: code.taskRoot,
      generation: code.generation,
      env: this.environmentVariables(code.taskRoot, logStreamName),
      logStreamName,
      context: {
        functionName: this.spec.name,
        functionVersion: "$LATEST",
        invokedFunctionArn: this.arn,
        memoryLimitInMB: String(this.spec.memoryMb),
        logGroupName: `/aws/lambda/${this.spec.name}`,
        logStreamName,
      },
      onLog: this.options.onLog,
      traces: this.traces(code.taskRoot),
      pauses: this.options.pauses?.watches(this.spec) ? this.options.pauses : undefined,
    });
  }

  private readonly mappers = new Map<string, StackTraceMapper>();

  /** One mapper per code, its source map read once. */
  private traces(taskRoot: string): StackTraceMapper {
    let mapper = this.mappers.get(taskRoot);
    if (!mapper) {
      mapper = new StackTraceMapper(taskRoot);
      this.mappers.set(taskRoot, mapper);
    }
    return mapper;
  }

  private frame(
    requestId: string,
    env: ExecutionEnvironment,
    cold: boolean,
    outcome: FramedOutcome,
  ): InvocationResult {
    const result = frameInvocation({
      requestId,
      functionName: this.spec.name,
      memoryMb: this.spec.memoryMb,
      initDurationMs: cold ? env.initDurationMs : undefined,
      outcome,
    });
    const meta = { functionName: this.spec.name, logStreamName: env.logStreamName };
    // START and the function's own lines were logged as they happened; END and REPORT close it.
    for (const line of result.logs.slice(-2)) this.options.onLog?.(line, meta);
    return result;
  }

  /**
   * A synchronous (RequestResponse) invocation. Resolves with the result, also when the function
   * failed (`functionError: "Unhandled"`); rejects only with {@link ThrottledError}.
   */
  invoke(
    event: unknown,
    options: {
      readonly requestId?: string;
      readonly onEnvironment?: (env: ExecutionEnvironment) => void;
    } = {},
  ): Promise<InvocationResult> {
    // Counted in flight like queued events: a runtime replaced by a redeploy closes only once
    // its synchronous invocations (an API request, pnpm invoke) have answered too.
    const running = this.invokeNow(event, options);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running)).catch(() => {});
    return running;
  }

  private async invokeNow(
    event: unknown,
    options: {
      readonly requestId?: string;
      readonly onEnvironment?: (env: ExecutionEnvironment) => void;
    },
  ): Promise<InvocationResult> {
    const requestId = options.requestId ?? randomUUID();
    const eventJson = JSON.stringify(event ?? null);
    const { env, cold } = await this.pool.acquire();
    options.onEnvironment?.(env);
    const meta = { functionName: this.spec.name, logStreamName: env.logStreamName };
    try {
      const initLines = cold ? env.drainLines() : [];
      this.options.onLog?.(`START RequestId: ${requestId} Version: $LATEST`, meta);
      const initError = env.failedInit;
      if (initError) {
        await env.kill();
        return this.frame(requestId, env, cold, {
          ok: false,
          error: initError,
          durationMs: 0,
          maxMemoryBytes: 0,
          fatal: true,
          lines: initLines,
        });
      }
      const outcome = await env.invoke(eventJson, requestId, this.spec.timeoutSeconds * 1000);
      return this.frame(requestId, env, cold, { ...outcome, lines: [...initLines, ...outcome.lines] });
    } finally {
      this.pool.release(env);
    }
  }

  /**
   * A synchronous invocation whose caller stops waiting after `ms` (API Gateway's integration
   * timeout): resolves `"timeout"` then, while the function runs on, as it does on AWS. The time
   * counts on the environment's clock, which stops while a debugger holds it paused.
   */
  invokeWithin(event: unknown, ms: number): Promise<InvocationResult | "timeout"> {
    return new Promise((resolve, reject) => {
      let timer: PausableTimer | undefined;
      let environment: ExecutionEnvironment | undefined;
      this.invoke(event, {
        onEnvironment: (env) => {
          environment = env;
          timer = env.timer(ms, () => resolve("timeout"));
        },
      }).then((result) => {
        if (timer && environment) environment.release(timer);
        resolve(result);
      }, reject);
    });
  }

  /**
   * An asynchronous (Event) invocation: queued at once; on failure retried up to the configured
   * count with backoff, then sent with its error and attempt count to the on-failure destination.
   * `completion` never rejects: a record the destination refuses ends the event as `dropped`,
   * logged through `onEvent` and counted in `DestinationDeliveryFailures`.
   *
   * @throws {RequestTooLargeError} when the event's JSON is over {@link MAX_ASYNC_EVENT_BYTES}
   *   (Lambda refuses to queue it).
   */
  invokeAsync(event: unknown): { requestId: string; completion: Promise<AsyncOutcome> } {
    const bytes = Buffer.byteLength(JSON.stringify(event ?? null));
    if (bytes > MAX_ASYNC_EVENT_BYTES) throw new RequestTooLargeError(bytes, MAX_ASYNC_EVENT_BYTES);
    const requestId = randomUUID();
    this.count("AsyncEventsReceived");
    const completion = this.runAsync(requestId, event).catch((error: Error) => {
      // Not a failure of the function: the runtime could not run the event (it failed to start
      // an environment, say). It is lost, as an event Lambda cannot process is.
      const reason = `the runtime could not run it: ${error.message}`;
      this.count("AsyncEventsDropped");
      this.notice("error", "AsyncInvocationError", requestId, reason);
      return { requestId, status: "dropped", attempts: 0, results: [], reason } satisfies AsyncOutcome;
    });
    this.inFlight.add(completion);
    void completion.finally(() => this.inFlight.delete(completion));
    return { requestId, completion };
  }

  private readonly counters: Record<AsyncMetricName, number> = {
    AsyncEventsReceived: 0,
    AsyncEventsDropped: 0,
    DestinationDeliveryFailures: 0,
  };

  /** What this runtime has counted of Lambda's asynchronous-invocation metrics since it started. */
  get metrics(): Readonly<Record<AsyncMetricName, number>> {
    return { ...this.counters };
  }

  private count(metric: AsyncMetricName): void {
    this.counters[metric] += 1;
    this.emit({ type: "metric", functionName: this.spec.name, metric, value: 1, timestamp: new Date() });
  }

  private notice(
    level: "warn" | "error",
    code: Extract<RuntimeEvent, { type: "notice" }>["code"],
    requestId: string,
    message: string,
    queueName?: string,
  ): void {
    this.emit({
      type: "notice",
      level,
      code,
      functionName: this.spec.name,
      requestId,
      ...(queueName === undefined ? {} : { queueName }),
      message: `${this.spec.name}: asynchronous invocation ${requestId}: ${message}`,
    });
  }

  private emit(event: RuntimeEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A sink that throws must not end the invocation it reports on.
    }
  }

  private async runAsync(requestId: string, event: unknown): Promise<AsyncOutcome> {
    const enqueued = Date.now();
    const { maximumRetryAttempts, maximumEventAgeSeconds, onFailure } = this.spec.async;
    const results: InvocationResult[] = [];
    let condition: InvocationRecord["requestContext"]["condition"] = "RetriesExhausted";
    let attempts = 0;
    while (attempts <= maximumRetryAttempts) {
      if (Date.now() - enqueued > maximumEventAgeSeconds * 1000) {
        condition = "EventAgeExceeded";
        break;
      }
      let result: InvocationResult;
      try {
        if (this.closed) return { requestId, status: "abandoned", attempts, results };
        result = await this.invoke(event, { requestId });
      } catch (error) {
        if (this.closed) return { requestId, status: "abandoned", attempts, results };
        if (!(error instanceof ThrottledError)) throw error;
        // Throttled events are retried until they are too old, without using up attempts.
        await sleep(this.options.retryDelayMs(1));
        continue;
      }
      attempts += 1;
      results.push(result);
      if (!result.functionError) return { requestId, status: "succeeded", attempts, results };
      if (attempts <= maximumRetryAttempts) await sleep(this.options.retryDelayMs(attempts));
    }
    // Lambda counts every event that ends without a successful run as dropped, also when its record
    // then reaches the on-failure destination.
    this.count("AsyncEventsDropped");
    const last = results.at(-1);
    const record: InvocationRecord = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${this.arn}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: last?.payload ?? null,
    };
    const destination = this.options.destination;
    if (!onFailure || !destination) return { requestId, status: "failed", attempts, results };
    const queueName = onFailure.queueName;
    try {
      const sent = await this.fit(destination, queueName, record, requestId);
      await destination.deliver(queueName, sent.record);
      return {
        requestId,
        status: "failed",
        attempts,
        results,
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
      return { requestId, status: "dropped", attempts, results, reason };
    }
  }

  /**
   * The record as Lambda sends it to a queue: whole when it fits the queue's message size, else
   * without its request and response payloads.
   *
   * @throws when even the record without its payloads does not fit.
   */
  private async fit(
    destination: FailureDestination,
    queueName: string,
    record: InvocationRecord,
    requestId: string,
  ): Promise<{ record: InvocationRecord; payloadsDropped: boolean }> {
    const limit = (await destination.maxRecordBytes?.(queueName)) ?? SQS_MAX_MESSAGE_BYTES;
    const bytes = Buffer.byteLength(JSON.stringify(record));
    if (bytes <= limit) return { record, payloadsDropped: false };
    const { requestPayload: _request, responsePayload: _response, ...bare } = record;
    if (Buffer.byteLength(JSON.stringify(bare)) > limit)
      throw new Error(`the record is larger than the queue's maximum message size (${limit} bytes)`);
    this.notice(
      "warn",
      "RecordPayloadDropped",
      requestId,
      `its record (${bytes} bytes) is over the maximum message size of ${queueName} (${limit} bytes): ` +
        "sent without requestPayload and responsePayload, as Lambda sends it",
      queueName,
    );
    return { record: bare, payloadsDropped: true };
  }

  /** Waits for every queued asynchronous invocation to finish. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Stops taking events: invocations already running get up to `graceMs` to finish; queued events
   * and pending retries end as `abandoned` instead of running.
   */
  async close(graceMs = 3000): Promise<void> {
    this.closed = true;
    const pool = this.pool.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    await pool;
  }
}
