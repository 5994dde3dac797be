/**
 * One function run as Lambda runs it. Every way of invoking it goes through one `invoke` on one
 * pool of environments, so concurrency, closing and draining cover them all; the event queue's
 * rules, which need nothing but that `invoke`, are in async-invocations.ts; how an environment is
 * started and one invocation is run in it, in function-environments.ts.
 */
import { randomUUID } from "node:crypto";
import type { FunctionSpec } from "../stack/read-stack.ts";
import {
  AsyncInvocations,
  type AsyncOutcome,
  MAX_ASYNC_EVENT_BYTES,
  RequestTooLargeError,
  type Resumed,
} from "./async-invocations.ts";
import type { FailureDestination } from "./dead-letters.ts";
import type { ExecutionEnvironment } from "./environment.ts";
import type { EventQueue } from "./event-queue.ts";
import { FunctionEnvironments } from "./function-environments.ts";
import type { PausableTimer } from "./pausable-timer.ts";
import type { PauseMonitor } from "./pause-monitor.ts";
import { EnvironmentPool, ThrottledError } from "./pool.ts";
import {
  type AsyncMetricName,
  type InvocationOrigin,
  type InvocationResult,
  type InvocationSink,
  type LambdaMetricName,
  type LogSink,
  originOfEvent,
  type RuntimeEventSink,
} from "./types.ts";

export { type AsyncOutcome, MAX_ASYNC_EVENT_BYTES, RequestTooLargeError, ThrottledError };

/**
 * An event already written as the JSON an execution environment receives (API Gateway's, made
 * from its route's template), so a synchronous invocation does not serialize it again.
 */
export class SerializedEvent {
  constructor(readonly json: string) {}
}

/** How a synchronous invocation is made. */
export interface InvokeOptions {
  readonly requestId?: string;
  readonly onEnvironment?: (env: ExecutionEnvironment) => void;
  /** What set it off, when its event's shape does not tell (a redrive, a retry). */
  readonly origin?: InvocationOrigin;
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
  /** The most environments initializing at once for invocations (see PoolOptions.maxStarting). */
  readonly maxStarting?: number;
  /** Delay before async retry N (1-based). Lambda waits about 1 and then 2 minutes. */
  readonly retryDelayMs: (attempt: number) => number;
  readonly destination?: FailureDestination;
  /** The durable event queue asynchronous invocations are kept in until they end. */
  readonly queue?: EventQueue;
  readonly onLog?: LogSink;
  /**
   * The Lambda service's own output: CloudWatch metric data points (`AsyncEventsReceived`,
   * `AsyncEventsDropped`, `DestinationDeliveryFailures`) and notices such as a record the
   * on-failure destination refused. Never the function's log lines (those go to `onLog`).
   */
  readonly onEvent?: RuntimeEventSink;
  /** Every invocation as it ends, or is throttled (the console's Invocations). */
  readonly onInvocation?: InvocationSink;
  /** Under `--inspect`: stops an environment's clocks while a debugger holds it paused. */
  readonly pauses?: PauseMonitor;
}

/**
 * Runs one function as Lambda does: a pool of execution environments (warm reuse, cold starts,
 * concurrency limit), synchronous invocations, and asynchronous ones with retries and an on-failure
 * destination.
 */
export class FunctionRuntime {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly pool: EnvironmentPool;
  private readonly events: AsyncInvocations;
  private readonly envs: FunctionEnvironments;

  constructor(readonly options: FunctionRuntimeOptions) {
    this.envs = new FunctionEnvironments({
      spec: options.spec,
      arn: this.arn,
      region: options.region,
      extraEnv: options.extraEnv,
      ...(options.onLog ? { onLog: options.onLog } : {}),
      ...(options.pauses ? { pauses: options.pauses } : {}),
    });
    this.pool = new EnvironmentPool(
      {
        functionName: options.spec.name,
        limit: options.spec.reservedConcurrency ?? options.defaultConcurrency,
        throttle: options.spec.reservedConcurrency !== undefined,
        maxStarting: options.maxStarting,
        start: (code, staged) => this.envs.start(code, staged),
      },
      options.taskRoot,
    );
    this.events = new AsyncInvocations({
      functionName: options.spec.name,
      functionArn: this.arn,
      settings: options.spec.async,
      invoke: (event, requestId, attempt) =>
        this.invoke(event, { requestId, ...(attempt > 1 ? { origin: "retry" as const } : {}) }),
      closed: () => this.closed,
      retryDelayMs: options.retryDelayMs,
      destination: options.destination,
      onEvent: options.onEvent,
      queue: options.queue,
    });
  }

  /** Where the code new environments run is unpacked. */
  get taskRoot(): string {
    return this.pool.taskRoot;
  }

  /**
   * Swaps the function's code: from now on every invocation starts in a fresh environment running
   * the code in `taskRoot`; invocations already running finish on the code they started with.
   * With `whenWarm`, the swap waits until one environment of the new code is initialized, and
   * invocations run the current code until then (see {@link EnvironmentPool.stage}); resolves
   * once swapped.
   */
  reload(taskRoot: string, options: { readonly whenWarm?: boolean } = {}): Promise<void> {
    // A hot build's next save finds an environment that imported its vendor files (see
    // FunctionEnvironments.prepareSpare), started once this one is in.
    if (options.whenWarm)
      return this.pool.stage(taskRoot).then(() => {
        // Not for code a later save superseded meanwhile: that save's reload makes its own.
        if (this.pool.taskRoot === taskRoot) void this.prepareSpare(taskRoot);
      });
    this.pool.reload(taskRoot);
    void this.prepareSpare(taskRoot);
    return Promise.resolve();
  }

  /**
   * Starts a spare environment for the hot build after `taskRoot` (none for a zip's code); settles
   * once it imported its files, or could not (see FunctionEnvironments.prepareSpare).
   */
  prepareSpare(taskRoot: string): Promise<void> {
    return this.closed ? Promise.resolve() : this.envs.prepareSpare(taskRoot);
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

  /**
   * A synchronous (RequestResponse) invocation. Resolves with the result, also when the function
   * failed (`functionError: "Unhandled"`); rejects only with {@link ThrottledError}.
   */
  invoke(event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    // Counted in flight like queued events: a runtime replaced by a redeploy closes only once
    // its synchronous invocations (an API request, pnpm invoke) have answered too.
    const running = this.invokeNow(event, options);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running)).catch(() => {});
    return running;
  }

  private async invokeNow(event: unknown, options: InvokeOptions): Promise<InvocationResult> {
    const requestId = options.requestId ?? randomUUID();
    const eventJson = event instanceof SerializedEvent ? event.json : JSON.stringify(event ?? null);
    let acquired: Awaited<ReturnType<EnvironmentPool["acquire"]>>;
    try {
      acquired = await this.pool.acquire();
    } catch (error) {
      if (error instanceof ThrottledError) {
        this.metric("Throttles", 1);
        this.report(requestId, eventJson, options.origin);
      }
      throw error;
    }
    const { env, cold } = acquired;
    this.metric("ConcurrentExecutions", this.pool.busy);
    options.onEnvironment?.(env);
    try {
      const result = await this.envs.run(env, cold, requestId, eventJson);
      const ended = new Date();
      this.metric("Invocations", 1, ended);
      this.metric("Errors", result.functionError ? 1 : 0, ended);
      this.metric("Duration", result.durationMs, ended);
      this.report(requestId, eventJson, options.origin, result, ended.getTime());
      return result;
    } finally {
      this.pool.release(env);
    }
  }

  /** Tells `onInvocation` of an invocation that ended (or was throttled: no result). */
  private report(
    requestId: string,
    eventJson: string,
    origin: InvocationOrigin | undefined,
    result?: InvocationResult,
    endedAt = Date.now(),
  ): void {
    const sink = this.options.onInvocation;
    if (!sink) return;
    try {
      sink({
        requestId,
        functionName: this.spec.name,
        origin: origin ?? originOfEvent(eventJson),
        endedAt,
        eventJson,
        ...(result ? { result } : {}),
      });
    } catch {
      // A sink that throws must not end the invocation it reports on.
    }
  }

  /** A Lambda metric data point for this function, to `onEvent` (a sink that throws is ignored). */
  private metric(metric: LambdaMetricName, value: number, timestamp = new Date()): void {
    try {
      this.options.onEvent?.({
        type: "metric",
        functionName: this.spec.name,
        metric,
        value,
        timestamp,
      });
    } catch {
      // A sink that throws must not end the invocation it reports on.
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
  invokeAsync(event: unknown, resumed?: Resumed): { requestId: string; completion: Promise<AsyncOutcome> } {
    const { requestId, completion } = this.events.start(event, resumed);
    this.inFlight.add(completion);
    void completion.finally(() => this.inFlight.delete(completion)).catch(() => {});
    return { requestId, completion };
  }

  /** What this runtime has counted of Lambda's asynchronous-invocation metrics since it started. */
  get metrics(): Readonly<Record<AsyncMetricName, number>> {
    return this.events.metrics;
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
    const pool = Promise.all([this.pool.close(), this.envs.close()]);
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
