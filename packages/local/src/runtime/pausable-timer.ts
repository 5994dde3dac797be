/**
 * A timeout whose clock can stop: an execution environment held at a breakpoint stops its
 * function's timeout and the API integration's, as `sam local --debug-port` does, so a paused
 * debugger never turns into a timeout and a retry.
 */
export class PausableTimer {
  private timer?: NodeJS.Timeout;
  private remaining: number;
  private startedAt = 0;
  private done = false;

  constructor(
    ms: number,
    private readonly onFire: () => void,
    paused = false,
  ) {
    this.remaining = ms;
    if (!paused) this.resume();
  }

  /** Milliseconds left on the clock now. */
  get remainingMs(): number {
    return this.timer ? Math.max(0, this.remaining - (performance.now() - this.startedAt)) : this.remaining;
  }

  pause(): void {
    if (!this.timer || this.done) return;
    this.remaining = this.remainingMs;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  resume(): void {
    if (this.timer || this.done) return;
    this.startedAt = performance.now();
    this.timer = setTimeout(() => {
      this.done = true;
      this.onFire();
    }, this.remaining);
  }

  clear(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Slots of the clock shared with the worker. */
const DEADLINE = 0;
const PAUSED_SINCE = 1;

/**
 * An execution environment's clock: its timers (the function's timeout, the API integration's)
 * and the invocation's deadline the worker reads, all stopped while a debugger holds the thread.
 */
export class EnvironmentClock {
  /**
   * The invocation's deadline and when a debugger paused the thread (0 while it runs), shared with
   * the worker so `getRemainingTimeInMillis()` never counts a pause, even in the moment after a
   * resume before the host hears of it.
   */
  readonly shared = new Float64Array(new SharedArrayBuffer(16));
  /** Timers that stop while a debugger holds this environment paused. */
  private readonly timers = new Set<PausableTimer>();
  private paused = false;

  /** A timeout on this clock. */
  timer(ms: number, onFire: () => void): PausableTimer {
    const timer = new PausableTimer(
      ms,
      () => {
        this.timers.delete(timer);
        onFire();
      },
      this.paused,
    );
    this.timers.add(timer);
    return timer;
  }

  release(timer: PausableTimer): void {
    timer.clear();
    this.timers.delete(timer);
  }

  /** An invocation starts: its deadline `timeoutMs` from now, not paused. */
  deadline(timeoutMs: number): void {
    this.shared[DEADLINE] = Date.now() + timeoutMs;
    this.shared[PAUSED_SINCE] = 0;
  }

  pause(): void {
    this.paused = true;
    this.shared[PAUSED_SINCE] = Date.now();
    for (const timer of this.timers) timer.pause();
  }

  resume(): void {
    this.paused = false;
    const since = this.shared[PAUSED_SINCE] ?? 0;
    if (since > 0) this.shared[DEADLINE] = (this.shared[DEADLINE] ?? 0) + (Date.now() - since);
    this.shared[PAUSED_SINCE] = 0;
    for (const timer of this.timers) timer.resume();
  }
}
