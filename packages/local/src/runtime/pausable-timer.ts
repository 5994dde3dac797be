import { ThreadCpuWait } from "./cpu-wait.ts";

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

  /**
   * @param extend asked when the time is up: milliseconds more to wait first (0: fire now). The
   * environment's clock gives back the time its thread stood waiting for a CPU.
   */
  constructor(
    ms: number,
    private readonly onFire: () => void,
    paused = false,
    private readonly extend?: () => number,
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
      const more = this.extend?.() ?? 0;
      if (more > 0) {
        this.timer = undefined;
        this.remaining = more;
        this.resume();
        return;
      }
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
/** The worker's kernel thread id, which it writes at start (see bootstrap.mjs). */
const THREAD = 2;
/** Less waiting for a CPU than this is not worth re-arming a timer for. */
const MIN_GIVEN_BACK_MS = 2;

/**
 * An execution environment's clock: its timers (the function's timeout, the API integration's)
 * and the invocation's deadline the worker reads, all stopped while a debugger holds the thread.
 * They also leave out the time the thread stood waiting for a CPU that other environments, the
 * gateway or moto held (see cpu-wait.ts): on Lambda it would have had its own. Without that, ten
 * environments filling their memory at once on two cores spent 2.3 of their 3.8 s in the run
 * queue, hit their 3 s timeout first, and were reported as `Sandbox.Timedout`, not
 * `Runtime.OutOfMemory`.
 */
export class EnvironmentClock {
  /**
   * The invocation's deadline, when a debugger paused the thread (0 while it runs) and the
   * thread's kernel id, shared with the worker so `getRemainingTimeInMillis()` never counts a
   * pause, even in the moment after a resume before the host hears of it.
   */
  readonly shared = new Float64Array(new SharedArrayBuffer(24));
  private readonly waited: Pick<ThreadCpuWait, "ms" | "close">;
  /** Timers that stop while a debugger holds this environment paused. */
  private readonly timers = new Set<PausableTimer>();
  private paused = false;

  /** @param cpuWait how long the thread has waited for a CPU (tests pass their own). */
  constructor(cpuWait?: Pick<ThreadCpuWait, "ms" | "close">) {
    this.waited = cpuWait ?? new ThreadCpuWait(() => this.shared[THREAD] ?? 0);
  }

  /**
   * A timeout on this clock. With `movesDeadline` (the function's own timeout), the time given
   * back for waiting on a CPU moves the deadline the worker reads too.
   */
  timer(ms: number, onFire: () => void, { movesDeadline = false } = {}): PausableTimer {
    let waitedBefore = this.waited.ms();
    const giveBack = () => {
      const waited = this.waited.ms();
      const extra = waited - waitedBefore;
      if (extra < MIN_GIVEN_BACK_MS) return 0;
      waitedBefore = waited;
      if (movesDeadline) this.shared[DEADLINE] = (this.shared[DEADLINE] ?? 0) + extra;
      return extra;
    };
    const timer = new PausableTimer(
      ms,
      () => {
        this.timers.delete(timer);
        onFire();
      },
      this.paused,
      giveBack,
    );
    this.timers.add(timer);
    return timer;
  }

  /** The thread ended: lets go of what reads its CPU waits. */
  close(): void {
    this.waited.close();
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
