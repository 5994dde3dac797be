import type { ExecutionEnvironment } from "./environment.ts";

/** Raised when reserved concurrency is exhausted: Lambda's 429 TooManyRequestsException. */
export class ThrottledError extends Error {
  override readonly name = "TooManyRequestsException";
  constructor(functionName: string, limit: number) {
    super(`Rate Exceeded: ${functionName} is at its reserved concurrency of ${limit}`);
  }
}

/** The code new environments run: where it is unpacked, and its generation (a reload starts the next). */
export interface Code {
  readonly taskRoot: string;
  readonly generation: number;
}

export interface PoolOptions {
  readonly functionName: string;
  /** The most environments at once: the reserved concurrency, or the local account limit. */
  readonly limit: number;
  /** With reserved concurrency, an invocation beyond the limit is throttled instead of waiting. */
  readonly throttle: boolean;
  /**
   * The most environments initializing at once for invocations; an invocation beyond waits for
   * the first environment to come free, warm or new (none: no bound). On a laptop every init
   * shares a few cores: after a hot reload, traffic at 30 requests a second started ten at once,
   * each taking ten times as long, while one warm environment answers in 2 ms. Lambda bounds its
   * scaling too (1,000 environments per function every 10 s); this bounds it to what the machine
   * can init side by side. Reserved concurrency still throttles as before: the waiting
   * invocations count toward it.
   */
  readonly maxStarting?: number;
  /** Starts an environment running `code` (its init included); `staged` for a reload's first (see stage). */
  readonly start: (code: Code, staged?: boolean) => Promise<ExecutionEnvironment>;
}

/**
 * One function's execution environments, as Lambda keeps them: a warm one is reused, a new one is
 * started (a cold start) while the concurrency limit allows, and beyond it invocations wait or are
 * throttled. A reload swaps the code: environments of older code are never handed out again.
 */
export class EnvironmentPool {
  private readonly idle: ExecutionEnvironment[] = [];
  /** Idle environments whose init ran before any invocation asked for them. */
  private readonly initializedAhead = new WeakSet<ExecutionEnvironment>();
  private readonly waiting: Array<() => void> = [];
  private active = 0;
  /** Environments initializing now (for invocations, not staged code). */
  private starting = 0;
  /** Invocations waiting for an init to finish or an environment to come free (see maxStarting). */
  private queued = 0;
  private closed = false;
  private code: Code;
  /** The newest generation given to code, swapped in or staged. */
  private generations = 0;

  constructor(
    private readonly options: PoolOptions,
    taskRoot: string,
  ) {
    this.code = { taskRoot, generation: 0 };
  }

  /** Where the code new environments run is unpacked. */
  get taskRoot(): string {
    return this.code.taskRoot;
  }

  /** Environments alive now (busy or idle). */
  get size(): number {
    return this.active + this.idle.length;
  }

  /** Environments running an invocation (or starting for one) now. */
  get busy(): number {
    return this.active;
  }

  /** An environment for one invocation; `cold` when it was started for it. */
  async acquire(): Promise<{ env: ExecutionEnvironment; cold: boolean }> {
    for (;;) {
      if (this.closed) throw new Error(`${this.options.functionName}: runtime is closed`);
      const warm = this.idle.pop();
      if (warm) {
        if (!warm.isAlive || warm.generation !== this.code.generation) {
          void warm.kill();
          continue;
        }
        this.active += 1;
        // An environment initialized ahead (see stage) is a cold start for its first invocation.
        const cold = this.initializedAhead.delete(warm);
        return { env: warm, cold };
      }
      // Room for one more environment, and fewer inits running than the machine has cores (see
      // PoolOptions.maxStarting): one is started for this invocation.
      if (
        this.active < this.options.limit &&
        this.starting < (this.options.maxStarting ?? Number.POSITIVE_INFINITY)
      ) {
        this.active += 1;
        this.starting += 1;
        const code = this.code;
        let env: ExecutionEnvironment;
        try {
          env = await this.options.start(code);
        } catch (error) {
          this.active -= 1;
          throw error;
        } finally {
          this.starting -= 1;
          this.waiting.shift()?.();
        }
        // The code was swapped while this environment started: it must not serve anything new.
        if (code.generation !== this.code.generation) {
          this.active -= 1;
          void env.kill();
          continue;
        }
        return { env, cold: true };
      }
      // Otherwise it waits for the first environment to come free or init to finish, unless
      // reserved concurrency throttles it: the invocations waiting count toward the limit.
      if (this.options.throttle && this.active + this.queued >= this.options.limit)
        throw new ThrottledError(this.options.functionName, this.options.limit);
      this.queued += 1;
      try {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      } finally {
        this.queued -= 1;
      }
    }
  }

  /** Hands an environment back after its invocation: kept warm, unless it died or runs old code. */
  release(env: ExecutionEnvironment): void {
    this.active -= 1;
    if (env.isAlive && !this.closed && env.generation === this.code.generation) this.idle.push(env);
    else void env.kill();
    this.waiting.shift()?.();
  }

  /**
   * Swaps the code: from now on every invocation starts in a fresh environment running the code in
   * `taskRoot`; invocations already running finish on the code they started with, and their
   * environments end with them. Idle environments of the old code end now.
   */
  reload(taskRoot: string): void {
    this.swap({ taskRoot, generation: ++this.generations });
  }

  /**
   * Swaps the code once one environment of it is initialized, as Lambda finishes an update of a
   * function's code before invocations run it: until then invocations keep running the current
   * code in its warm environments. The first invocation after the swap gets the initialized
   * environment (and reports its Init Duration). Without this, every invocation arriving after a
   * swap started its own environment of the new code: at 30 requests a second on 2 cores, ten
   * inits at once, each 0.3-1.5 s instead of 0.1 s. Code whose init fails is swapped in all the
   * same: invocations then report its error, as Lambda's do. A later staged code supersedes it.
   * Resolves once swapped (or superseded).
   */
  async stage(taskRoot: string): Promise<void> {
    const code = { taskRoot, generation: ++this.generations };
    // No room for one more environment: swapped at once.
    if (this.closed || this.active + this.idle.length >= this.options.limit) {
      if (!this.closed) this.swap(code);
      return;
    }
    this.active += 1;
    let env: ExecutionEnvironment | undefined;
    try {
      env = await this.options.start(code, true);
    } catch {
      env = undefined;
    } finally {
      this.active -= 1;
    }
    if (this.closed || code.generation <= this.code.generation)
      void env?.kill(); // superseded
    else {
      this.swap(code);
      if (env?.isAlive) {
        this.initializedAhead.add(env);
        this.idle.push(env);
      } else void env?.kill(); // its init failed: the next invocation starts one and reports the error
    }
    // Its slot is free again (or holds the new code's environment): one waiter may go on.
    this.waiting.shift()?.();
  }

  private swap(code: Code): void {
    this.code = code;
    for (const env of this.idle.splice(0)) void env.kill();
  }

  /** Stops handing out environments: waiters are woken (and refused), idle environments end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all(this.idle.splice(0).map((env) => env.kill()));
  }
}
