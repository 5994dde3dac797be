#!/usr/bin/env node
// `pnpm test`: runs every package's mocha suite through turbo, then prints one line with the totals
// over the workspace, `N passed, N failed`, and exits non-zero if anything failed.
// `--unit` runs each package's `test:unit` instead (pure logic, no moto, terraform or browser: the
// inner loop). Extra arguments go to turbo (e.g. `pnpm test --filter @lambdaform/shared`).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";

const unit = process.argv.includes("--unit");
const rest = process.argv.slice(2).filter((arg) => arg !== "--unit");
const args = ["run", unit ? "test:unit" : "test", "--continue", "--log-order=grouped", ...rest];
const env = { TURBO_TELEMETRY_DISABLED: "1", ...process.env };
const child = spawn("turbo", args, {
  env,
  stdio: ["inherit", "pipe", "inherit"],
  shell: process.platform === "win32",
});

const totals = { passed: 0, failed: 0, pending: 0, suites: 0 };
// Mocha's spec reporter closes each package's run with "N passing (T)", "N failing", "N pending".
const SUMMARY = /^\s*(?:\S+:test(?::unit)?:\s*)?\s*(\d+) (passing|failing|pending)\b/;

createInterface({ input: child.stdout }).on("line", (line) => {
  process.stdout.write(`${line}\n`);
  const plain = stripVTControlCharacters(line);
  const match = SUMMARY.exec(plain);
  if (!match) return;
  const count = Number(match[1]);
  if (match[2] === "passing") {
    totals.passed += count;
    totals.suites += 1;
  } else if (match[2] === "failing") totals.failed += count;
  else totals.pending += count;
});

child.on("close", (code) => {
  const skipped = totals.pending > 0 ? `, ${totals.pending} skipped` : "";
  // A package that crashed before mocha could report counts as one failure, so the line never hides it.
  if (code !== 0 && totals.failed === 0) totals.failed = 1;
  process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed${skipped}\n`);
  process.exit(code === 0 && totals.failed === 0 ? 0 : 1);
});
