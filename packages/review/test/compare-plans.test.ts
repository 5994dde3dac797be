import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const SCRIPT = fileURLToPath(new URL("../../../scripts/compare-plans.mjs", import.meta.url));

const plan = (memory: number) => ({
  format_version: "1.2",
  resource_changes: [
    {
      address: "aws_lambda_function.f",
      mode: "managed",
      change: { actions: ["update"], after: { memory_size: memory } },
    },
  ],
});

describe("the deploy's check against the reviewed plan (scripts/compare-plans.mjs)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lf-compare-"));
  const write = (name: string, value: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  const reviewed = write("reviewed.json", plan(512));
  const meta = write("review.json", {
    stack: "lambdaform-prod",
    headSha: "a".repeat(40),
    baseSha: "b".repeat(40),
    lineage: "0f1e2d3c",
    serial: 12,
  });

  it("refuses a plan that differs, naming the reviewed head, base and state and the commit being deployed", () => {
    const run = spawnSync(
      process.execPath,
      [
        SCRIPT,
        reviewed,
        write("current.json", plan(1024)),
        "--reviewed",
        meta,
        "--current-sha",
        "c".repeat(40),
      ],
      { encoding: "utf8" },
    );
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain(
      `The plan differs from the one reviewed at head ${"a".repeat(40)} (base ${"b".repeat(40)}, state 0f1e2d3c serial 12); deploying ${"c".repeat(40)} in 1 resource(s); not applying:`,
    );
    expect(run.stderr).to.contain("aws_lambda_function.f");
  });

  it("applies a plan that matches, and still works without the review record", () => {
    const same = spawnSync(process.execPath, [SCRIPT, reviewed, write("same.json", plan(512))], {
      encoding: "utf8",
    });
    expect(same.status).to.equal(0);
    expect(same.stdout).to.contain("The plan matches the one reviewed (1 resource change(s)).");
  });
});
