/**
 * The bounded, in-memory windows behind the console's feeds: the newest entries in arrival order,
 * told to listeners as they come, and each function's durations by minute for p50 and p99.
 */

/** A fixed-size window over the newest entries, each numbered in arrival order from 1. */
export class Window<T> {
  private readonly entries: Array<T & { readonly seq: number }> = [];
  private next = 1;
  private readonly listeners = new Set<(entry: T & { readonly seq: number }) => void>();

  constructor(private readonly capacity: number) {}

  push(entry: T): T & { readonly seq: number } {
    const numbered = { ...entry, seq: this.next++ };
    this.entries.push(numbered);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    for (const listener of this.listeners) {
      try {
        listener(numbered);
      } catch {
        // A listener (an SSE connection) that fails must not stop the others or the runtime.
      }
    }
    return numbered;
  }

  /** The entries after `seq` (all kept ones for 0), oldest first, at most `limit` of the newest. */
  after(seq = 0, limit = this.capacity): Array<T & { readonly seq: number }> {
    const newer = this.entries.filter((e) => e.seq > seq);
    return newer.slice(Math.max(0, newer.length - limit));
  }

  find(seq: number): (T & { readonly seq: number }) | undefined {
    return this.entries.find((e) => e.seq === seq);
  }

  /** Calls `listener` with every entry pushed from now on; returns the function that stops it. */
  listen(listener: (entry: T & { readonly seq: number }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Each function's durations by minute for the last hour, for the Metrics section's p50 and p99:
 * the runtime publishes Duration to moto as statistic sets, and moto computes no percentiles.
 */
export class DurationWindow {
  /** function → minute (ms since the epoch) → durations (at most 2,000 kept per minute). */
  private readonly byFunction = new Map<string, Map<number, number[]>>();

  add(functionName: string, durationMs: number, at: number): void {
    let minutes = this.byFunction.get(functionName);
    if (!minutes) {
      minutes = new Map();
      this.byFunction.set(functionName, minutes);
    }
    const minute = Math.floor(at / 60_000) * 60_000;
    let samples = minutes.get(minute);
    if (!samples) {
      samples = [];
      minutes.set(minute, samples);
      for (const old of minutes.keys()) if (old < minute - 3_600_000) minutes.delete(old);
    }
    // Past the cap a minute keeps a uniform sample (reservoir), so its percentiles stay fair.
    if (samples.length < 2000) samples.push(durationMs);
    else {
      const slot = Math.floor(Math.random() * (samples.length + 1));
      if (slot < samples.length) samples[slot] = durationMs;
    }
  }

  /** Per minute of the last hour with invocations: its p50 and p99, oldest first. */
  percentiles(functionName: string, now = Date.now()): Array<{ time: number; p50: number; p99: number }> {
    const minutes = this.byFunction.get(functionName);
    if (!minutes) return [];
    return [...minutes.entries()]
      .filter(([minute]) => minute >= now - 3_600_000)
      .sort(([a], [b]) => a - b)
      .map(([time, samples]) => {
        const sorted = [...samples].sort((a, b) => a - b);
        return { time, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
      });
  }
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: ReadonlyArray<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}
