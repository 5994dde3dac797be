// `pnpm bench` (synth part): wall time and peak memory of synthesizing both stages in a fresh
// process, deep provider imports (the product) against root imports (a generated baseline),
// interleaved in the same run. Prints a table and writes bench-results/synth.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FUNCTIONS_DIR } from "../src/artifacts.ts";
import { writeRootImportVariant } from "./root-imports.ts";
import { type Stat, stat } from "./stats.ts";

const runs = Number(process.env.BENCH_RUNS ?? (process.argv.includes("--smoke") ? 1 : 5));
const infraDir = fileURLToPath(new URL("../", import.meta.url));
const variantDir = join(infraDir, "node_modules", ".cache", "lambdaform-bench", "root-imports");
writeRootImportVariant(join(infraDir, "src"), join(variantDir, "src"));

const variants = {
  deep: pathToFileURL(join(infraDir, "src", "app.ts")).href,
  root: pathToFileURL(join(variantDir, "src", "app.ts")).href,
} as const;
const child = fileURLToPath(new URL("./synth-child.ts", import.meta.url));

function synthOnce(app: string): { wallMs: number; maxRssMb: number } {
  const outdir = mkdtempSync(join(tmpdir(), "lf-bench-synth-"));
  const started = performance.now();
  const result = spawnSync(process.execPath, ["--import", "tsx", child, app, outdir, FUNCTIONS_DIR.href], {
    cwd: infraDir,
    encoding: "utf8",
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`synth failed (${app}):\n${result.stderr}`);
  return { wallMs, maxRssMb: JSON.parse(result.stdout).maxRssKb / 1024 };
}

const samples = {
  deep: { wall: [] as number[], rss: [] as number[] },
  root: { wall: [] as number[], rss: [] as number[] },
};
for (let i = 0; i < runs; i++) {
  for (const name of ["deep", "root"] as const) {
    process.stderr.write(`synth ${name} imports, run ${i + 1}/${runs}\n`);
    const { wallMs, maxRssMb } = synthOnce(variants[name]);
    samples[name].wall.push(wallMs);
    samples[name].rss.push(maxRssMb);
  }
}

const fmt = (s: Stat, unit: string, digits = 0) =>
  `${s.median.toFixed(digits)} ${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
const report = {
  benchmark: "synth of both stages (fresh process: node + tsx + synth)",
  runs,
  deep: { wallMs: stat(samples.deep.wall), maxRssMb: stat(samples.deep.rss) },
  root: { wallMs: stat(samples.root.wall), maxRssMb: stat(samples.root.rss) },
};
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
console.log(`\nSynth, both stages, ${runs} interleaved runs each (median, min, max)\n`);
console.log("| imports | wall | peak RSS |");
console.log("| --- | ---: | ---: |");
console.log(`| deep (product) | ${fmt(report.deep.wallMs, "ms")} | ${fmt(report.deep.maxRssMb, "MB")} |`);
console.log(`| root (baseline) | ${fmt(report.root.wallMs, "ms")} | ${fmt(report.root.maxRssMb, "MB")} |`);
console.log(
  `| root / deep | ${ratio(report.root.wallMs.median, report.deep.wallMs.median).toFixed(2)}× | ${ratio(report.root.maxRssMb.median, report.deep.maxRssMb.median).toFixed(2)}× |`,
);
const resultsDir = join(infraDir, "bench-results");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, "synth.json"), `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwritten: packages/infra/bench-results/synth.json`);
