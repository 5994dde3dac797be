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
