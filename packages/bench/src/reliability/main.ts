// `pnpm reliability`: the whole system under faults, against a real `pnpm dev` (loopback only,
// bounded, it stops by itself). Prints a table of what each scenario measured and one closing line,
// `reliability: N scenarios, lost 0, duplicated 0, regressed 0, crashed 0`, and writes the same to
// bench-results/reliability.json. `--smoke` runs every scenario small (as .ci/run does); `--only
// a,b` picks scenarios; `--keep` keeps the data directory. Exits 1 when any scenario failed.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findMotoPython, freePort } from "@lambdaform/moto";
import { DevProcess } from "./dev-process.ts";
import type { ScenarioContext, ScenarioResult } from "./scenario.ts";
import { apiUnderLoad } from "./scenarios/api-load.ts";
import { devSession } from "./scenarios/dev-session.ts";
import { duplicatesAndDisorder } from "./scenarios/duplicates.ts";
import { functionFaults } from "./scenarios/function-faults.ts";
import { outageAndRedrive } from "./scenarios/outage.ts";
import {
  brokenJournalTail,
  killedMidApply,
  killedMidLoad,
  motoKilled,
  signalsFromAScript,
} from "./scenarios/processes.ts";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
const keep = args.includes("--keep");
const onlyAt = args.indexOf("--only");

/** In this order: the first starts on an empty data directory, the rest share what it deployed. */
const SCENARIOS: ReadonlyArray<readonly [string, (ctx: ScenarioContext) => Promise<ScenarioResult>]> = [
  ["mid-apply", killedMidApply],
  ["duplicates", duplicatesAndDisorder],
  ["outage", outageAndRedrive],
  ["function-faults", functionFaults],
  ["mid-load", killedMidLoad],
  ["journal", brokenJournalTail],
  ["moto-killed", motoKilled],
  ["signals", signalsFromAScript],
  ["api-load", apiUnderLoad],
  ["dev-session", devSession],
];
const chosen = onlyAt >= 0 ? (args[onlyAt + 1] ?? "").split(",") : SCENARIOS.map(([name]) => name);
const unknown = chosen.filter((c) => !SCENARIOS.some(([name]) => name === c));
if (unknown.length > 0) {
  console.error(
    `unknown scenario(s): ${unknown.join(", ")}; choose from ${SCENARIOS.map(([n]) => n).join(", ")}`,
  );
  process.exit(2);
}
const required = process.env.LAMBDAFORM_REQUIRE_TOOLS === "1";
if (!findMotoPython()) {
  console.error(
    `reliability: SKIPPED: no Python with moto's server (pip install "moto[server]==5.2.1", or set MOTO_PYTHON to the Python that has it).`,
  );
  process.exit(required ? 1 : 0);
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const dataRoot = mkdtempSync(join(tmpdir(), "lf-reliability-"));
const port = await freePort();
const logFile = join(dataRoot, "pnpm-dev.log");
const ctx: ScenarioContext = {
  root,
  smoke,
  dataRoot,
  port,
  logFile,
  progress,
  start: () =>
    DevProcess.start({ root, dataRoot, port, logFile, flags: ["--faults", "--no-api-throttling"] }),
};
progress(`reliability: data directory ${dataRoot}; pnpm dev's output goes to ${logFile}`);

const results: ScenarioResult[] = [];
const started = performance.now();
try {
  for (const [name, run] of SCENARIOS) {
    if (!chosen.includes(name)) continue;
    progress(`\nreliability: scenario ${name}${smoke ? " (smoke)" : ""}`);
    const at = performance.now();
    try {
      results.push(await run(ctx));
    } catch (error) {
      // A scenario that cannot finish is a failure of the system under test, not of the harness.
      results.push({
        name,
        measured: [["stopped", (error as Error).message.split("\n")[0] ?? ""]],
        lost: 0,
        duplicated: 0,
        regressed: 0,
        crashed: 1,
        failures: [(error as Error).message],
      });
    }
    progress(`reliability: ${name} took ${((performance.now() - at) / 1000).toFixed(1)} s`);
  }
} finally {
  await ctx.dev?.stop();
}

const cell = (s: string | number) => String(s).replace(/\|/g, "\\|");
console.log(`\n## Reliability${smoke ? " (smoke)" : ""}\n`);
console.log("| scenario | measured | lost | duplicated | regressed | crashed | result |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | --- |");
for (const r of results)
  console.log(
    `| ${r.name} | ${r.measured.map(([k, v]) => `${cell(k)}: ${cell(v)}`).join("<br>")} | ${r.lost} | ${r.duplicated} | ${r.regressed} | ${r.crashed} | ${r.failures.length === 0 ? "held" : "FAILED"} |`,
  );
for (const r of results) for (const failure of r.failures) console.log(`\n- ${r.name}: ${failure}`);
const sum = (pick: (r: ScenarioResult) => number) => results.reduce((n, r) => n + pick(r), 0);
const totals = {
  scenarios: results.length,
  lost: sum((r) => r.lost),
  duplicated: sum((r) => r.duplicated),
  regressed: sum((r) => r.regressed),
  crashed: sum((r) => r.crashed),
};
mkdirSync(join(root, "packages", "bench", "bench-results"), { recursive: true });
writeFileSync(
  join(root, "packages", "bench", "bench-results", "reliability.json"),
  `${JSON.stringify({ smoke, seconds: (performance.now() - started) / 1000, totals, results }, null, 2)}\n`,
);
const failed = results.filter((r) => r.failures.length > 0).length;
console.log(
  `\nreliability: ${totals.scenarios} scenarios, lost ${totals.lost}, duplicated ${totals.duplicated}, regressed ${totals.regressed}, crashed ${totals.crashed}${failed > 0 ? ` (${failed} failed)` : ""}`,
);
if (!keep && failed === 0) rmSync(dataRoot, { recursive: true, force: true });
else progress(`reliability: kept ${dataRoot}`);
process.exit(failed > 0 ? 1 : 0);
