import { ThreadRunTime } from "./thread-time.ts";

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
   * environment's clock gives back the time its thread could not use (see EnvironmentClock).
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
/** Less than this left is not worth re-arming a timer for. */
const MIN_GIVEN_BACK_MS = 2;
/**
 * A timer never waits longer than this many times its own time (pauses aside): a thread that
 * blocks itself (`Atomics.wait`) uses no time by this reckoning, and must still time out.
 */
const GIVE_BACK_LIMIT = 6;

/** What an environment's thread used of its time: how long it ran, and how long its event loop sat idle. */
export interface ThreadUse {
  /** Milliseconds since the thread started; undefined where that cannot be read. */
  usedMs(): number | undefined;
  close(): void;
}

/**
 * An execution environment's clock: its timers (the function's timeout, the API integration's)
 * and the invocation's deadline the worker reads, all stopped while a debugger holds the thread.
 *
 * They count the time the function used as Lambda would have let it: what its thread ran on a
 * CPU, and what its event loop sat idle (awaiting I/O or timers, which Lambda counts too). Not
 * what it stood waiting for a CPU that other environments, the gateway or moto held, nor what it
 * waited on V8's garbage-collection threads, starved in turn: on Lambda it has its own CPU share.
 * By wall time alone, ten environments filling their memory at once on two cores spent 2.3 of
 * their 3.8 s in the run queue and most of the rest waiting on the collector, hit their 3 s
 * timeout first, and were reported as `Sandbox.Timedout`, not `Runtime.OutOfMemory`.
 */
export class EnvironmentClock {
  /**
   * The invocation's deadline, when a debugger paused the thread (0 while it runs) and the
   * thread's kernel id, shared with the worker so `getRemainingTimeInMillis()` never counts a
   * pause, even in the moment after a resume before the host hears of it.
   */
  readonly shared = new Float64Array(new SharedArrayBuffer(24));
  private readonly use: ThreadUse;
  /** Timers that stop while a debugger holds this environment paused. */
  private readonly timers = new Set<PausableTimer>();
  private paused = false;
  private pausedAt = 0;
  /** Milliseconds paused in all, so a timer can leave its pauses out of its limit. */
  private pausedMs = 0;

  /**
   * @param idleMs how long the thread's event loop has sat idle (its worker's
   * `performance.eventLoopUtilization().idle`); `use` replaces the whole reading in tests.
   */
  constructor(idleMs: () => number = () => 0, use?: ThreadUse) {
    const ran = new ThreadRunTime(() => this.shared[THREAD] ?? 0);
    this.use = use ?? {
      usedMs: () => {
        const ranMs = ran.ms();
        return ranMs === undefined ? undefined : ranMs + idleMs();
      },
      close: () => ran.close(),
    };
  }

  /**
   * A timeout on this clock. With `movesDeadline` (the function's own timeout), the time given
   * back moves the deadline the worker reads too.
   */
  timer(ms: number, onFire: () => void, { movesDeadline = false } = {}): PausableTimer {
    const usedAtStart = this.use.usedMs();
    const armedAt = performance.now();
    const pausedAtStart = this.pausedMs;
    const giveBack = () => {
      const used = this.use.usedMs();
      if (usedAtStart === undefined || used === undefined) return 0;
      const left = ms - (used - usedAtStart);
      const waited = performance.now() - armedAt - (this.pausedMs - pausedAtStart);
      if (left < MIN_GIVEN_BACK_MS || waited + left > ms * GIVE_BACK_LIMIT) return 0;
      if (movesDeadline) this.shared[DEADLINE] = Date.now() + left;
      return left;
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

  /** The thread ended: lets go of what reads its time. */
  close(): void {
    this.use.close();
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
    this.pausedAt = performance.now();
    this.shared[PAUSED_SINCE] = Date.now();
    for (const timer of this.timers) timer.pause();
  }

  resume(): void {
    this.paused = false;
    this.pausedMs += performance.now() - this.pausedAt;
    const since = this.shared[PAUSED_SINCE] ?? 0;
    if (since > 0) this.shared[DEADLINE] = (this.shared[DEADLINE] ?? 0) + (Date.now() - since);
    this.shared[PAUSED_SINCE] = 0;
    for (const timer of this.timers) timer.resume();
  }
}
