// `pnpm bench` (local runtime part): the runtime's own overhead per warm invocation, i.e. the wall
// time of `invoke()` minus the handler's own duration, over many warm calls of a tiny function.
// Prints a table and writes bench-results/runtime.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureRuntime } from "../test/helpers.ts";

const smoke = process.argv.includes("--smoke");
const calls = smoke ? 50 : Number(process.env.BENCH_CALLS ?? 5000);
const runtime = fixtureRuntime([{ fixture: "probe", name: "probe", timeoutSeconds: 10 }]);
const fn = runtime.function("probe");

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

try {
  const cold = await fn.invoke({});
  const overhead: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const result = await fn.invoke({});
    const elapsed = performance.now() - started;
    wall.push(elapsed);
    overhead.push(elapsed - result.durationMs);
  }
  overhead.sort((a, b) => a - b);
  wall.sort((a, b) => a - b);
  const report = {
    benchmark: "local runtime: warm invoke overhead (wall of invoke() minus the handler's own duration)",
    calls,
    coldStartInitMs: cold.initDurationMs,
    overheadMs: {
      median: percentile(overhead, 50),
      p99: percentile(overhead, 99),
      min: overhead[0],
      max: overhead.at(-1),
    },
    wallMs: { median: percentile(wall, 50), p99: percentile(wall, 99) },
  };
  console.log(`\nLocal runtime, ${calls} warm invocations of a tiny function\n`);
  console.log("| measure | median | p99 | min | max |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  const ms = (n: number | undefined) => `${(n ?? 0).toFixed(3)} ms`;
  console.log(
    `| runtime overhead | ${ms(report.overheadMs.median)} | ${ms(report.overheadMs.p99)} | ${ms(report.overheadMs.min)} | ${ms(report.overheadMs.max)} |`,
  );
  console.log(`| invoke wall time | ${ms(report.wallMs.median)} | ${ms(report.wallMs.p99)} | | |`);
  console.log(`| cold start (init) | ${ms(report.coldStartInitMs)} | | | |`);
  const dir = fileURLToPath(new URL("../bench-results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "runtime.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log("\nwritten: packages/local/bench-results/runtime.json");
} finally {
  await runtime.close();
}
