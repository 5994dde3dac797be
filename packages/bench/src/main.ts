// `pnpm bench`: one command; prints readable tables and writes the same figures to
// bench-results/bench.json. Every figure is a median with min and max; compared sides run
// interleaved in the same run. `--smoke` runs one iteration of everything (as .ci/run does);
// `--only init,functions,synth,runtime,stack,dev,console,tests,peers` selects parts; `--peers` adds serverless-offline
// (installed into a temporary directory) under the same load as the local stack.
// The AWS SDK warns about Node 20 on every client; not news in a benchmark.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchConsole } from "./console.ts";
import { benchDev } from "./dev.ts";
import { benchFunctions } from "./functions.ts";
import { benchInit } from "./init.ts";
import { benchPeers } from "./peers.ts";
import { benchStack } from "./stack.ts";
import { fmt, stat } from "./stats.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
const onlyAt = args.indexOf("--only");
// `--baseline <dir>`: another checkout, built (e.g. a worktree of main); its function bundles run
// beside this one's, interleaved, in the init and functions parts.
const baselineAt = args.indexOf("--baseline");
const baselineRoot = baselineAt >= 0 ? args[baselineAt + 1] : undefined;
const ALL = ["init", "functions", "synth", "runtime", "stack", "dev", "console"];
const parts = [
  ...(onlyAt >= 0 ? (args[onlyAt + 1] ?? "").split(",") : ALL),
  ...(args.includes("--peers") ? ["peers"] : []),
];
const KNOWN = [...ALL, "tests", "peers"];
const unknown = parts.filter((p) => !KNOWN.includes(p));
if (unknown.length > 0) {
  console.error(`unknown part(s): ${unknown.join(", ")}; choose from ${KNOWN.join(", ")}`);
  process.exit(2);
}
const progress = (line: string) => process.stderr.write(`${line}\n`);
const report: Record<string, unknown> = {
  machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
  smoke,
};
const started = performance.now();
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function runScript(pkg: string, env: Record<string, string>, extra: string[] = []): void {
  const result = spawnSync("pnpm", ["--filter", pkg, "run", "bench", ...extra], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) throw new Error(`${pkg} bench failed`);
}

if (parts.includes("init")) {
  const runs = smoke ? 1 : 9;
  const init = await benchInit(root, { runs, profileRuns: smoke ? 1 : 5, baselineRoot }, progress);
  report.init = init;
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const target: Record<string, number> = { "hello-api": 10, "s3-processor": 40, "ec2-monitor": 40 };
  for (const f of init.functions) {
    const p = f.profile;
    console.log(
      `\n## Init profile: ${f.name} (${kb(f.bundleBytes)} bundle; CPU profile of the import, self time, median of ${p.runs} run(s); ${ms(p.totalMs)} profiled)\n`,
    );
    const before = f.baseline?.profile;
    if (before) {
      console.log(
        `| what | ms | --baseline (${kb(f.baseline?.bundleBytes ?? 0)} bundle, ${ms(before.totalMs)} profiled) |`,
      );
      console.log("| --- | ---: | ---: |");
      const rows = [...new Set([...p.rows.slice(0, 8), ...before.rows.slice(0, 8)].map((r) => r.what))];
      const of = (list: typeof p.rows, what: string) => list.find((r) => r.what === what)?.ms ?? 0;
      for (const what of rows)
        console.log(`| ${what} | ${of(p.rows, what).toFixed(1)} | ${of(before.rows, what).toFixed(1)} |`);
    } else {
      console.log("| what | ms |\n| --- | ---: |");
      for (const row of p.rows.slice(0, 8)) console.log(`| ${row.what} | ${row.ms.toFixed(1)} |`);
    }
    const byPackage = p.packages
      .filter((row) => row.ms >= 0.1)
      .slice(0, 6)
      .map((row) => `${row.what} ${row.ms.toFixed(1)}`);
    const constructors = p.constructors.map((row) => `${row.what} ${row.ms.toFixed(1)}`);
    if (byPackage.length > 0)
      console.log(`\nThe bundle's own code by package (ms): ${byPackage.join(", ")}.`);
    if (constructors.length > 0)
      console.log(`Inside constructors, all they call included (ms): ${constructors.join(", ")}.`);
  }
  console.log(
    `\n## Init: cold import (fresh node process running the bundle as its entry, Lambda's environment only; median, min–max, ${runs} run(s) interleaved with node -e 0)\n`,
  );
  console.log(
    "| function | bundle imported | node -e 0 | overhead | target | import() alone, in process |\n| --- | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const f of init.functions) {
    const w = f.wallMs;
    console.log(
      `| ${f.name} | ${fmt(w.bundleImported, "ms", 1)} | ${fmt(w.nodeE0, "ms", 1)} | +${ms(w.overhead)} | ≤ +${target[f.name] ?? "?"} ms | ${fmt(f.importMs, "ms", 1)} |`,
    );
  }
  for (const f of init.functions) {
    const b = f.baseline;
    if (!b) continue;
    console.log(
      `| ${f.name}, --baseline | ${fmt(b.bundleImported, "ms", 1)} | ${fmt(f.wallMs.nodeE0, "ms", 1)} | +${ms(b.overhead)} | | ${fmt(b.importMs, "ms", 1)} |`,
    );
  }
  const floor = init.floor;
  console.log(
    `| (an empty ES module: the ESM loader's own share) | ${fmt(floor.emptyModule, "ms", 1)} | ${fmt(floor.nodeE0, "ms", 1)} | +${ms(floor.overhead)} | | |`,
  );
}

if (parts.includes("functions")) {
  const functions = await benchFunctions(root, smoke ? 1 : 7, smoke ? 20 : 500, progress, baselineRoot);
  report.functions = functions;
  console.log("\n## Functions: bundle size\n");
  console.log("| Function | raw | gzip | zip |\n| --- | ---: | ---: | ---: |");
  for (const f of functions)
    console.log(`| ${f.name} | ${kb(f.sizes.raw)} | ${kb(f.sizes.gzip)} | ${kb(f.sizes.zip)} |`);
  console.log(
    "\n## Functions: cold start (fresh node process, import + first invocation against moto; median, min–max)\n",
  );
  const labels = Object.keys(functions[0]?.coldMs ?? {});
  console.log(
    `| Function | ${labels.join(" | ")} | product ÷ CJS-main |\n| --- |${labels.map(() => " ---: |").join("")} ---: |`,
  );
  for (const f of functions) {
    const cells = labels.map((l) => fmt(f.coldMs[l] ?? stat([]), "ms", 0));
    const ratio =
      (f.coldMs["ESM bundle (product)"]?.median ?? 0) / (f.coldMs["CommonJS-main bundle"]?.median ?? 1);
    console.log(`| ${f.name} | ${cells.join(" | ")} | ${ratio.toFixed(2)}× |`);
  }
  console.log("\n## Functions: warm invocation (in process, against moto)\n");
  const withBaseline = functions.some((f) => f.warmMsBaseline);
  console.log(
    withBaseline
      ? "| Function | median | p99 | --baseline median | --baseline p99 |\n| --- | ---: | ---: | ---: | ---: |"
      : "| Function | median | p99 |\n| --- | ---: | ---: |",
  );
  const warm = (s?: { median: number; p99?: number }) =>
    s ? `${s.median.toFixed(2)} ms | ${(s.p99 ?? 0).toFixed(2)} ms` : "– | –";
  for (const f of functions)
    console.log(`| ${f.name} | ${warm(f.warmMs)}${withBaseline ? ` | ${warm(f.warmMsBaseline)}` : ""} |`);
}

if (parts.includes("synth")) {
  runScript("@lambdaform/infra", { BENCH_RUNS: smoke ? "1" : "5" });
  const synth = JSON.parse(readFileSync(join(root, "packages/infra/bench-results/synth.json"), "utf8"));
  report.synth = synth;
  console.log("\n## Synth of both stages (fresh process; deep vs root provider imports, interleaved)\n");
  console.log("| imports | wall | peak RSS |\n| --- | ---: | ---: |");
  console.log(
    `| deep (product) | ${fmt(synth.deep.wallMs, "ms", 0)} | ${fmt(synth.deep.maxRssMb, "MB", 0)} |`,
  );
  console.log(
    `| root (baseline) | ${fmt(synth.root.wallMs, "ms", 0)} | ${fmt(synth.root.maxRssMb, "MB", 0)} |`,
  );
  console.log(
    `| root ÷ deep | ${(synth.root.wallMs.median / synth.deep.wallMs.median).toFixed(2)}× | ${(synth.root.maxRssMb.median / synth.deep.maxRssMb.median).toFixed(2)}× |`,
  );
}

if (parts.includes("runtime")) {
  runScript("@lambdaform/local", { BENCH_CALLS: smoke ? "50" : "5000" });
  const runtime = JSON.parse(readFileSync(join(root, "packages/local/bench-results/runtime.json"), "utf8"));
  report.runtime = runtime;
  console.log("\n## Local runtime: overhead per warm invoke (wall of invoke() minus handler time)\n");
  console.log("| median | p99 | min | max | calls |\n| ---: | ---: | ---: | ---: | ---: |");
  const o = runtime.overheadMs;
  console.log(
    `| ${o.median.toFixed(3)} ms | ${o.p99.toFixed(3)} ms | ${o.min.toFixed(3)} ms | ${o.max.toFixed(3)} ms | ${runtime.calls} |`,
  );
}

if (parts.includes("stack")) {
  const stack = await benchStack(root, smoke ? 500 : 100_000, smoke ? 5 : 500, progress);
  report.stack = stack;
  console.log("\n## Local stack (pnpm dev)\n");
  console.log("| measure | value |\n| --- | ---: |");
  console.log(`| time to ready, cold (fresh data directory) | ${(stack.readyColdMs / 1000).toFixed(1)} s |`);
  console.log(`| time to ready, warm (unchanged infra) | ${(stack.readyWarmMs / 1000).toFixed(1)} s |`);
  const { hello, baseline } = stack;
  console.log(
    `| GET /hello throughput (${hello.requests} requests, 50 connections, after ${stack.warmupRequests} warm-up) | ${hello.requestsPerSecond.toFixed(0)} req/s |`,
  );
  console.log(`| GET /hello latency p50 / p99 | ${hello.latencyP50Ms} ms / ${hello.latencyP99Ms} ms |`);
  console.log(`| non-2xx / errors | ${hello.non2xx} / ${hello.errors} |`);
  console.log(
    `| same load, bare node:http server sending the same response (this machine's ceiling) | ${baseline.requestsPerSecond.toFixed(0)} req/s, p50 ${baseline.latencyP50Ms} ms / p99 ${baseline.latencyP99Ms} ms |`,
  );
  console.log(
    `| GET /hello throughput ÷ bare server | ${(hello.requestsPerSecond / Math.max(1, baseline.requestsPerSecond)).toFixed(2)}× |`,
  );
  const mb = (n: number) => `${n.toFixed(0)} MB`;
  console.log(
    `| RSS at start → after warm-up → after the load | ${mb(stack.rssMb.start)} → ${mb(stack.rssMb.before)} → ${mb(stack.rssMb.after)} (${stack.rssMb.growth >= 0 ? "+" : ""}${mb(stack.rssMb.growth)} over the load) |`,
  );
  console.log(
    `| upload-to-row latency p50 / p99 (${stack.uploadToRowMs.runs} uploads) | ${stack.uploadToRowMs.median.toFixed(1)} ms / ${(stack.uploadToRowMs.p99 ?? 0).toFixed(1)} ms |`,
  );
}

if (parts.includes("dev")) {
  const dev = await benchDev(
    root,
    { runs: smoke ? 1 : 3, saves: smoke ? 2 : 10, uploads: smoke ? 5 : 500 },
    progress,
  );
  report.dev = dev;
  const s = (x: { median: number; min: number; max: number }) =>
    `${(x.median / 1000).toFixed(1)} s (${(x.min / 1000).toFixed(1)}–${(x.max / 1000).toFixed(1)})`;
  const ms = (x: { median: number; min: number; max: number }) =>
    `${x.median.toFixed(0)} ms (${x.min.toFixed(0)}–${x.max.toFixed(0)})`;
  console.log(`\n## pnpm dev as a dev loop (median, min–max, over ${dev.coldReadyMs.runs} runs or more)\n`);
  console.log("| measure | before (issue #12) | now | target |\n| --- | ---: | ---: | ---: |");
  console.log(
    `| \`pnpm dev\` typed → first 200 from /hello, cold (fresh data directory; measured outside the process) | 41–45 s (issue #24) | ${s(dev.typedToHelloMs.cold)} | ≤ 30 s |`,
  );
  console.log(
    `| … the same runs' own \`ready in\` line | 37.5–38 s (issue #24) | ${s(dev.typedReadyPrintedMs.cold)} | |`,
  );
  console.log(
    `| \`pnpm dev\` typed → first 200 from /hello, warm (unchanged infra; measured outside the process) | 7 s (issue #24) | ${s(dev.typedToHelloMs.warm)} | ≤ 3 s |`,
  );
  console.log(
    `| … the same runs' own \`ready in\` line | 1.9 s (issue #24) | ${s(dev.typedReadyPrintedMs.warm)} | |`,
  );
  console.log(
    `| cold ready, in process (startDev; fresh data directory) | 68–75 s | ${s(dev.coldReadyMs)} | ≤ 30 s |`,
  );
  console.log(
    `| warm ready, in process (unchanged infra, data directory after ${dev.warmUploads} uploads) | 22–27 s | ${s(dev.warmReadyMs)} | ≤ 5 s |`,
  );
  console.log(
    `| save a function source → first response from the new code (${dev.saveToResponseMs.runs} saves) | (no reload) | p50 ${dev.saveToResponseMs.median.toFixed(0)} ms, p95 ${dev.saveToResponseMs.p95.toFixed(0)} ms | p95 ≤ 500 ms |`,
  );
  console.log(
    `| infra edit (one function's memory) → applied and live | (restart) | ${s(dev.infraEditMs)} | ≤ 15 s |`,
  );
  console.log(
    `| terraform init in a new working directory | copies 700 MB | ${ms(dev.terraformInitMs)}, a link | ≤ 2 s, no copy |`,
  );
  console.log(
    `| pnpm logs --follow: a log line written → printed (local) | (none) | ${ms(dev.logsFollowMs)} | ≤ 1 s |`,
  );
}

if (parts.includes("console")) {
  const browser = await benchConsole(root, { loads: smoke ? 1 : 10, invocations: smoke ? 3 : 50 }, progress);
  if (browser) {
    report.console = browser;
    console.log("\n## The console in Debian's chromium (median, min–max)\n");
    console.log("| measure | value | target |\n| --- | ---: | ---: |");
    console.log(
      `| first render, a fresh tab, navigation start → the stack's data in the DOM (${browser.firstRenderMs.runs} loads) | ${fmt(browser.firstRenderMs, "ms", 0)} | ≤ 1,000 ms |`,
    );
    console.log(
      `| an invocation ended → its row in the open Invocations page (${browser.invocationVisibleMs.runs} GET /hello) | ${fmt(browser.invocationVisibleMs, "ms", 0)}, p99 ${(browser.invocationVisibleMs.p99 ?? 0).toFixed(0)} ms | ≤ 500 ms |`,
    );
  }
}

if (parts.includes("peers")) {
  const requests = smoke ? 500 : 100_000;
  const peers = await benchPeers(root, requests, Math.min(20_000, requests), progress);
  report.peers = peers;
  console.log(
    `\n## Peers: the same GET /hello load (${requests} requests, 50 connections, after a warm-up)\n`,
  );
  console.log("| server | req/s | p50 / p99 | non-2xx / errors | RSS before → after the load |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  const stack = report.stack as Awaited<ReturnType<typeof benchStack>> | undefined;
  const rows = [
    ...(stack ? [{ name: "lambdaform `pnpm dev` (this run)", load: stack.hello, rssMb: stack.rssMb }] : []),
    ...peers,
  ];
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.load.requestsPerSecond.toFixed(0)} | ${r.load.latencyP50Ms} ms / ${r.load.latencyP99Ms} ms | ${r.load.non2xx} / ${r.load.errors} | ${r.rssMb.before.toFixed(0)} MB → ${r.rssMb.after.toFixed(0)} MB |`,
    );
}

if (parts.includes("tests")) {
  const timed = (env: Record<string, string>) => {
    const t = performance.now();
    const result = spawnSync("pnpm", ["test"], {
      cwd: root,
      stdio: "ignore",
      env: { ...process.env, ...env },
    });
    if (result.status !== 0) throw new Error("pnpm test failed");
    return performance.now() - t;
  };
  progress("tests: pnpm test, cold (turbo cache bypassed)");
  const cold = timed({ TURBO_FORCE: "true" });
  progress("tests: pnpm test, fully cached");
  const cached = timed({});
  report.tests = { coldMs: cold, cachedMs: cached };
  console.log(
    `\n## pnpm test\n\n| cold | fully cached by turbo |\n| ---: | ---: |\n| ${(cold / 1000).toFixed(1)} s | ${(cached / 1000).toFixed(1)} s |`,
  );
}

report.totalSeconds = (performance.now() - started) / 1000;
mkdirSync(join(root, "bench-results"), { recursive: true });
writeFileSync(join(root, "bench-results", "bench.json"), `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `\nbench took ${(report.totalSeconds as number).toFixed(0)} s; figures written to bench-results/bench.json`,
);
