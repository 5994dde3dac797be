import { CostInputError, type CostReport, dollars, type FunctionCost, PRICES } from "./cost.ts";

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * A stack's monthly cost as a Markdown table: one row per function, the free tier when it was
 * taken off, and the totals.
 *
 * @example
 * costTable("lambdaform-dev", monthlyCost(usages), { freeTier: false });
 */
export function costTable(stackName: string, report: CostReport, options: { freeTier: boolean }): string {
  const lines = [
    `Monthly cost of ${stackName} (prices: ${PRICES.region}, taken ${PRICES.taken})`,
    "",
    "| Function | Memory | Arch | Invocations | Billed duration | GB-s | Requests | Duration | Total |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...report.functions.map(
      (f) =>
        `| ${f.name} | ${f.memoryMb} MB | ${f.architecture} | ${count(f.invocations)} | ${f.billedDurationMs} ms | ${count(f.gbSeconds)} | ${dollars(f.requestCost)} | ${dollars(f.durationCost)} | ${dollars(f.total)} |`,
    ),
    ...(options.freeTier ? [`| free tier | | | | | | | | −${dollars(report.freeTierCredit)} |`] : []),
    `| **total** | | | | | | ${dollars(report.requestCost)} | ${dollars(report.durationCost)} | **${dollars(report.total)}** |`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The cost of one function at each memory size, as a Markdown table, and the cheapest size. */
export function memoryComparisonTable(rows: ReadonlyArray<FunctionCost>): string {
  const first = rows[0];
  if (!first) throw new CostInputError("no memory sizes to compare");
  const best = [...rows].sort((a, b) => a.total - b.total)[0] ?? first;
  const lines = [
    `${first.name} (${first.architecture}), ${first.invocations.toLocaleString("en-US")} invocations a month`,
    "",
    "| Memory | Duration | GB-s | Requests | Duration cost | Total |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.memoryMb} MB | ${r.billedDurationMs} ms | ${count(r.gbSeconds)} | ${dollars(r.requestCost)} | ${dollars(r.durationCost)} | ${dollars(r.total)} |`,
    ),
    "",
    `cheapest: ${best.memoryMb} MB at ${dollars(best.total)} a month`,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The average `Duration` of the REPORT lines in a Lambda log (what `pnpm invoke` and CloudWatch
 * Logs print), the duration to price when it was measured.
 *
 * @throws {CostInputError} when the text has no REPORT line.
 */
export function averageReportedDuration(logText: string, source: string): number {
  const durations = [...logText.matchAll(/REPORT RequestId: [^\t]+\tDuration: ([\d.]+) ms/g)].map((m) =>
    Number(m[1]),
  );
  if (durations.length === 0) throw new CostInputError(`No REPORT lines in ${source}.`);
  return durations.reduce((a, b) => a + b, 0) / durations.length;
}

/** Invocations and average duration per function, by short or full name (a traffic profile). */
export type Traffic = Readonly<
  Record<string, { readonly invocations?: number; readonly durationMs?: number }>
>;

/**
 * Reads a traffic profile: `{"hello-api": {"invocations": 3000000, "durationMs": 12}, …}`.
 *
 * @throws {CostInputError} naming the file and the entry that is not a profile.
 */
export function parseTraffic(text: string, source: string): Traffic {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CostInputError(`Cannot read the traffic file ${source}: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new CostInputError(`The traffic file ${source} must be a JSON object of functions.`);
  for (const [name, entry] of Object.entries(json)) {
    const fields = entry as Record<string, unknown> | null;
    if (typeof fields !== "object" || fields === null)
      throw new CostInputError(`${source}: ${name} must be an object with invocations and durationMs.`);
    for (const field of ["invocations", "durationMs"])
      if (fields[field] !== undefined && typeof fields[field] !== "number")
        throw new CostInputError(
          `${source}: ${name}.${field} must be a number, got ${JSON.stringify(fields[field])}.`,
        );
  }
  return json as Traffic;
}
