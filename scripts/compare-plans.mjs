#!/usr/bin/env node
// Compares two `terraform show -json` plans and exits 1 on any difference in what they would do:
// the same resources, the same actions, the same known values after apply.
import { readFileSync } from "node:fs";

// With `--reviewed <review.json>` (what `pnpm review --out` wrote beside the reviewed plan) and
// `--current-sha <sha>`, the messages name the reviewed head and base commits and the current one.
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const reviewedMeta = option("--reviewed");
const currentSha = option("--current-sha");
const [reviewedPath, currentPath] = args;
if (!reviewedPath || !currentPath) {
  console.error(
    "usage: compare-plans.mjs <reviewed plan.json> <current plan.json> [--reviewed <review.json>] [--current-sha <sha>]",
  );
  process.exit(2);
}
let reviewedAt = "";
if (reviewedMeta) {
  const meta = JSON.parse(readFileSync(reviewedMeta, "utf8"));
  const state = meta.lineage ? `, state ${meta.lineage} serial ${meta.serial}` : "";
  reviewedAt = ` reviewed at head ${meta.headSha ?? "?"} (base ${meta.baseSha ?? "?"}${state})`;
}
const now = currentSha ? `; deploying ${currentSha}` : "";

function summary(path) {
  const plan = JSON.parse(readFileSync(path, "utf8"));
  const out = new Map();
  for (const change of plan.resource_changes ?? []) {
    if (change.mode === "data" || change.change.actions.join() === "no-op") continue;
    out.set(
      change.address,
      JSON.stringify({ actions: change.change.actions, after: change.change.after ?? null }),
    );
  }
  return out;
}

const reviewed = summary(reviewedPath);
const current = summary(currentPath);
const differences = [];
for (const address of new Set([...reviewed.keys(), ...current.keys()])) {
  if (reviewed.get(address) !== current.get(address)) differences.push(address);
}
if (differences.length > 0) {
  console.error(
    `The plan differs from the one${reviewedAt || " reviewed"}${now} in ${differences.length} resource(s); not applying:`,
  );
  for (const address of differences.sort()) console.error(`  ${address}`);
  console.error("Open a pull request with the current change so it gets reviewed.");
  process.exit(1);
}
console.log(
  `The plan matches the one${reviewedAt || " reviewed"}${now} (${current.size} resource change(s)).`,
);
