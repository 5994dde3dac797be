#!/usr/bin/env node
// Compares two `terraform show -json` plans and exits 1 on any difference in what they would do:
// the same resources, the same actions, the same known values after apply.
import { readFileSync } from "node:fs";

const [reviewedPath, currentPath] = process.argv.slice(2);
if (!reviewedPath || !currentPath) {
  console.error("usage: compare-plans.mjs <reviewed plan.json> <current plan.json>");
  process.exit(2);
}

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
  console.error(`The plan differs from the reviewed one in ${differences.length} resource(s); not applying:`);
  for (const address of differences.sort()) console.error(`  ${address}`);
  console.error("Open a pull request with the current change so it gets reviewed.");
  process.exit(1);
}
console.log(`The plan matches the reviewed one (${current.size} resource change(s)).`);
