import prices from "./prices.json" with { type: "json" };

export type Architecture = "x86_64" | "arm64";
export type Prices = typeof prices;
export const PRICES: Prices = prices;

/** One function's monthly usage. */
export interface Usage {
  readonly name: string;
  readonly memoryMb: number;
  readonly architecture: Architecture;
  readonly invocations: number;
  /** Average duration per invocation; billing rounds it up to the millisecond. */
  readonly durationMs: number;
}

export interface FunctionCost {
  readonly name: string;
  readonly memoryMb: number;
  readonly architecture: Architecture;
  readonly invocations: number;
  readonly billedDurationMs: number;
  readonly gbSeconds: number;
  readonly requestCost: number;
  readonly durationCost: number;
  readonly total: number;
}

export interface CostReport {
  readonly functions: ReadonlyArray<FunctionCost>;
  readonly requestCost: number;
  readonly durationCost: number;
  /** What the free tier takes off, when applied (account-wide: 1M requests and 400,000 GB-s a month). */
  readonly freeTierCredit: number;
  readonly total: number;
}

/** A usage value or price input that makes no sense, named by function and field. */
export class CostInputError extends Error {
  override readonly name = "CostInputError";
}

function check(usage: Usage): void {
  const fields: Array<[string, number, number]> = [
    ["memoryMb", usage.memoryMb, 128],
    ["invocations", usage.invocations, 0],
    ["durationMs", usage.durationMs, 0],
  ];
  for (const [field, value, min] of fields) {
    if (!Number.isFinite(value) || value < min) {
      throw new CostInputError(`${usage.name}: ${field} must be a number ≥ ${min}, got ${value}`);
    }
  }
  if (usage.memoryMb > 10_240)
    throw new CostInputError(
      `${usage.name}: memoryMb must be at most 10240 (Lambda's maximum), got ${usage.memoryMb}`,
    );
  if (!(usage.architecture in prices.gbSecond)) {
    throw new CostInputError(
      `${usage.name}: architecture must be x86_64 or arm64, got ${String(usage.architecture)}`,
    );
  }
}

/**
 * The tutorial's pricing model for one function: requests at $0.20 per million, and duration per
 * GB-second at the architecture's rate, with the duration rounded up to the millisecond.
 *
 * @example
 * functionCost({ name: "f", memoryMb: 512, architecture: "x86_64", invocations: 1_000_000, durationMs: 100 }).total; // ≈ 1.0333
 */
export function functionCost(usage: Usage, table: Prices = PRICES): FunctionCost {
  check(usage);
  const billedDurationMs = Math.ceil(usage.durationMs);
  const gbSeconds = (usage.memoryMb / 1024) * (billedDurationMs / 1000) * usage.invocations;
  const requestCost = (usage.invocations / 1_000_000) * table.requestsPerMillion;
  const durationCost = gbSeconds * table.gbSecond[usage.architecture];
  return {
    ...usage,
    billedDurationMs,
    gbSeconds,
    requestCost,
    durationCost,
    total: requestCost + durationCost,
  };
}

/** Monthly cost of several functions, with the free tier taken off the account's totals when asked. */
export function monthlyCost(
  usages: ReadonlyArray<Usage>,
  options: { freeTier?: boolean } = {},
  table: Prices = PRICES,
): CostReport {
  const functions = usages.map((u) => functionCost(u, table));
  const requestCost = functions.reduce((sum, f) => sum + f.requestCost, 0);
  const durationCost = functions.reduce((sum, f) => sum + f.durationCost, 0);
  let freeTierCredit = 0;
  if (options.freeTier) {
    const invocations = functions.reduce((sum, f) => sum + f.invocations, 0);
    const gbSeconds = functions.reduce((sum, f) => sum + f.gbSeconds, 0);
    // The free GB-seconds are worth their price on the architecture that used them, most expensive first.
    let freeGbs = table.freeTier.gbSeconds;
    let durationCredit = 0;
    for (const f of [...functions].sort(
      (a, b) => table.gbSecond[b.architecture] - table.gbSecond[a.architecture],
    )) {
      const used = Math.min(freeGbs, f.gbSeconds);
      durationCredit += used * table.gbSecond[f.architecture];
      freeGbs -= used;
    }
    const requestCredit =
      (Math.min(invocations, table.freeTier.requests) / 1_000_000) * table.requestsPerMillion;
    freeTierCredit =
      requestCredit + Math.min(durationCredit, gbSeconds * Math.max(...Object.values(table.gbSecond)));
  }
  return {
    functions,
    requestCost,
    durationCost,
    freeTierCredit,
    total: requestCost + durationCost - freeTierCredit,
  };
}

/** The cost at each memory size for a duration curve (one duration per size, or one for all). */
export function compareMemory(
  base: Omit<Usage, "memoryMb" | "durationMs">,
  memorySizes: ReadonlyArray<number>,
  durationsMs: ReadonlyArray<number>,
  table: Prices = PRICES,
): FunctionCost[] {
  if (durationsMs.length !== 1 && durationsMs.length !== memorySizes.length) {
    throw new CostInputError(
      `give one duration, or one per memory size (${memorySizes.length}), got ${durationsMs.length}`,
    );
  }
  return memorySizes.map((memoryMb, i) =>
    functionCost(
      { ...base, memoryMb, durationMs: durationsMs[durationsMs.length === 1 ? 0 : i] ?? 0 },
      table,
    ),
  );
}

/** Dollars with cents, as the tutorial writes them. */
export const dollars = (amount: number) => `$${amount.toFixed(2)}`;
