/** Median, min and max (and p99 when asked) of a sample. */
export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p99?: number;
  readonly runs: number;
}

export function stat(values: ReadonlyArray<number>, withP99 = false): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return {
    median,
    min: sorted[0] ?? 0,
    max: sorted.at(-1) ?? 0,
    ...(withP99 ? { p99: at(0.99) } : {}),
    runs: sorted.length,
  };
}

export const fmt = (s: Stat, unit: string, digits = 1) =>
  `${s.median.toFixed(digits)} ${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
