import { availableParallelism } from "node:os";
import { join } from "node:path";
import { functionNameFromArn, LOCAL_ACCOUNT_ID } from "../identity.ts";
import { UnknownNameError } from "../names.ts";
import { type FunctionSpec, findFunction, type StackSpec } from "../stack/read-stack.ts";
import { unpackFunction } from "./artifact.ts";
import { type DeadLetter, DeadLetterStore, type FailureDestination } from "./dead-letters.ts";
import type { EventQueue, UnreadableEvent } from "./event-queue.ts";
import { type AsyncOutcome, FunctionRuntime } from "./function-runtime.ts";
import type { PauseMonitor } from "./pause-monitor.ts";
import type { AsyncMetricName, InvocationSink, LogSink, RuntimeEventSink } from "./types.ts";

export interface LocalRuntimeOptions {
  /** Where unpacked bundles and the local dead-letter store live (e.g. `.lambdaform`). */
  readonly dataDir: string;
  /**
   * Variables every function gets besides its own: the SDK's standard endpoint variables
   * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) and credentials. A function may get its own.
   */
  readonly extraEnv?:
    | Readonly<Record<string, string>>
    | ((spec: FunctionSpec) => Readonly<Record<string, string>>);
  readonly accountId?: string;
  readonly defaultConcurrency?: number;
  /** The most environments of one function initializing at once (default: the machine's cores; see PoolOptions.maxStarting). */
  readonly maxStarting?: number;
  readonly retryDelayMs?: (attempt: number) => number;
  /** Where failed async events go; a {@link DeadLetterStore} under dataDir by default. */
  readonly destination?: FailureDestination;
  /** A durable event queue (pnpm dev's): async events are kept there until they end. */
  readonly queue?: EventQueue;
  readonly onLog?: LogSink;
  /**
   * The Lambda service's own output for every function: metric data points and notices (a record
   * the on-failure destination refused, say). See {@link RuntimeEventSink}.
   */
  readonly onEvent?: RuntimeEventSink;
  /** Every invocation of every function as it ends (the console's Invocations). */
  readonly onInvocation?: InvocationSink;
  /** Where a function's bundle has its source map (the zip has none), when it is known. */
  readonly sourceMap?: (spec: FunctionSpec) => string | undefined;
  /** Under `--inspect`: stops an environment's clocks while a debugger holds it paused. */
  readonly pauses?: PauseMonitor;
}

/** Lambda's delays are about 1 and 2 minutes; locally 1 s, 2 s, … keep the same shape at a usable pace. */
export const DEFAULT_RETRY_DELAY_MS = (attempt: number) => 1000 * 2 ** (attempt - 1);

/** Runs the functions of one synthesized stack. */
export class LocalRuntime {
  private readonly runtimes = new Map<string, FunctionRuntime>();
  readonly deadLetters: DeadLetterStore;
  private readonly destination: FailureDestination;

  constructor(
    readonly stack: StackSpec,
    private readonly options: LocalRuntimeOptions,
  ) {
    this.deadLetters = new DeadLetterStore(join(options.dataDir, "dead-letters", stack.name));
    this.destination = options.destination ?? this.deadLetters;
  }

  /** The runtime of one function, by full or short name (throws listing the valid choices). */
  function(name: string): FunctionRuntime {
    const spec = findFunction(this.stack, name);
    let runtime = this.runtimes.get(spec.name);
    if (!runtime) {
      const extra = this.options.extraEnv;
      runtime = new FunctionRuntime({
        spec,
        taskRoot: unpackFunction(
          spec,
          join(this.options.dataDir, "functions"),
          this.options.sourceMap?.(spec),
        ),
        region: this.stack.region,
        accountId: this.options.accountId ?? LOCAL_ACCOUNT_ID,
        extraEnv: typeof extra === "function" ? extra(spec) : (extra ?? {}),
        defaultConcurrency: this.options.defaultConcurrency ?? 10,
        maxStarting: this.options.maxStarting ?? availableParallelism(),
        retryDelayMs: this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
        destination: this.destination,
        ...(this.options.queue ? { queue: this.options.queue } : {}),
        onLog: this.options.onLog,
        onEvent: this.options.onEvent,
        ...(this.options.onInvocation ? { onInvocation: this.options.onInvocation } : {}),
        pauses: this.options.pauses,
      });
      this.runtimes.set(spec.name, runtime);
    }
    return runtime;
  }

  /**
   * Unpacks every function's zip now rather than at its first invocation: the stack directory may
   * be rewritten later (a new synth) while this runtime still serves.
   */
  prepare(): this {
    for (const fn of this.stack.functions) this.function(fn.name);
    return this;
  }

  /**
   * Swaps a function's code for the code unpacked in `taskRoot` (a hot reload): new invocations
   * start in fresh environments running it; those already running finish on their own code.
   * With `whenWarm`, once one environment of it is initialized (see {@link FunctionRuntime.reload}).
   */
  reload(name: string, taskRoot: string, options: { readonly whenWarm?: boolean } = {}): Promise<void> {
    return this.function(name).reload(taskRoot, options);
  }

  /**
   * Starts a spare environment for a function's next hot build after `taskRoot` (see
   * FunctionRuntime.prepareSpare), one function after the other: those of a new deployment, or of
   * pnpm dev's warm-up, do not all import the AWS SDK at once. A function this stack does not
   * have is left alone.
   */
  prepareSpare(name: string, taskRoot: string): void {
    if (!this.stack.functions.some((f) => f.name === name)) return;
    this.spares = this.spares.then(() => this.function(name).prepareSpare(taskRoot)).catch(() => {});
  }
  private spares: Promise<void> = Promise.resolve();

  /**
   * Runs again the events of the durable queue that nobody runs (a killed pnpm dev's, or a closed
   * runtime's), under their request ids and ages. Events of a function this stack does not deploy
   * stay queued and are counted in `kept`.
   */
  resumeQueued(): { resumed: number; kept: number; unreadable: UnreadableEvent[] } {
    const queue = this.options.queue;
    if (!queue) return { resumed: 0, kept: 0, unreadable: [] };
    const { events, unreadable } = queue.pending();
    let resumed = 0;
    for (const queued of events) {
      if (!this.stack.functions.some((f) => f.name === queued.functionName)) continue;
      this.function(queued.functionName).invokeAsync(queued.event, queued);
      resumed += 1;
    }
    return { resumed, kept: events.length - resumed, unreadable };
  }

  /** The stack's on-failure queues (from its functions' async configuration), sorted. */
  queues(): string[] {
    const names = this.stack.functions.flatMap((fn) =>
      fn.async.onFailure ? [fn.async.onFailure.queueName] : [],
    );
    return [...new Set(names)].sort();
  }

  /** Lambda's asynchronous-invocation metrics counted so far, per function that has run. */
  metrics(): Record<string, Readonly<Record<AsyncMetricName, number>>> {
    return Object.fromEntries([...this.runtimes].map(([name, runtime]) => [name, runtime.metrics]));
  }

  /**
   * Sends stored dead letters of a queue back to their functions as new asynchronous invocations,
   * removing each one that was handed over. Returns how each redriven event ended. A letter whose
   * record carries no `requestPayload` (Lambda dropped it: the record was too large) cannot be
   * redriven: it stays, and its outcome is `dropped` with the reason.
   *
   * @throws {UnknownNameError} when the queue is not one of the stack's on-failure queues.
   */
  async redrive(
    queueName: string,
    ids?: ReadonlyArray<string>,
  ): Promise<Array<{ letter: DeadLetter; outcome: AsyncOutcome }>> {
    const queues = this.queues();
    if (!queues.includes(queueName))
      throw new UnknownNameError("queue", queueName, queues, { where: `in stack ${this.stack.name}` });
    const letters = this.deadLetters.list(queueName).filter((l) => !ids || ids.includes(l.id));
    const results: Array<{ letter: DeadLetter; outcome: AsyncOutcome }> = [];
    for (const letter of letters) {
      if (!("requestPayload" in letter.record)) {
        const reason = `dead letter ${letter.id} has no requestPayload (the record was too large for its queue, so Lambda sent it without its payloads): it cannot be redriven and stays`;
        results.push({
          letter,
          outcome: {
            requestId: letter.record.requestContext.requestId,
            status: "dropped",
            attempts: 0,
            results: [],
            reason,
          },
        });
        continue;
      }
      const runtime = this.function(functionNameFromArn(letter.record.requestContext.functionArn));
      const { completion } = runtime.invokeAsync(letter.record.requestPayload);
      this.deadLetters.remove(queueName, [letter.id]);
      results.push({ letter, outcome: await completion });
    }
    return results;
  }

  async drain(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.drain()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.close()));
  }
}
