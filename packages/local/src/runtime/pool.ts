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
  /** Starts an environment running `code` (its init included). */
  readonly start: (code: Code) => Promise<ExecutionEnvironment>;
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
  private closed = false;
  private code: Code;

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
        // An environment initialized ahead (see prewarm) is a cold start for its first invocation.
        const cold = this.initializedAhead.delete(warm);
        return { env: warm, cold };
      }
      if (this.active < this.options.limit) {
        this.active += 1;
        const code = this.code;
        let env: ExecutionEnvironment;
        try {
          env = await this.options.start(code);
        } catch (error) {
          this.active -= 1;
          throw error;
        }
        // The code was swapped while this environment started: it must not serve anything new.
        if (code.generation !== this.code.generation) {
          this.active -= 1;
          void env.kill();
          continue;
        }
        return { env, cold: true };
      }
      if (this.options.throttle) throw new ThrottledError(this.options.functionName, this.options.limit);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
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
    this.code = { taskRoot, generation: this.code.generation + 1 };
    for (const env of this.idle.splice(0)) void env.kill();
  }

  /**
   * Initializes one environment of the current code ahead of any invocation, as Lambda's proactive
   * initialization does, so the first invocation after a reload does not wait for the init. That
   * invocation still reports the Init Duration, as on Lambda. Resolves when it is ready.
   */
  async prewarm(): Promise<void> {
    if (this.closed || this.active + this.idle.length >= this.options.limit) return;
    this.active += 1;
    const code = this.code;
    let env: ExecutionEnvironment;
    try {
      env = await this.options.start(code);
    } finally {
      this.active -= 1;
    }
    if (this.closed || code.generation !== this.code.generation || !env.isAlive) {
      void env.kill();
      return;
    }
    this.initializedAhead.add(env);
    this.idle.push(env);
    this.waiting.shift()?.();
  }

  /** Stops handing out environments: waiters are woken (and refused), idle environments end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all(this.idle.splice(0).map((env) => env.kill()));
  }
}
