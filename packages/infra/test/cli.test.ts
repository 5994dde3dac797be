import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { expect } from "chai";
import { lowerPriority, runTerraform } from "../src/terraform/cli.ts";

/** A process's nice value, from `/proc/<pid>/stat` (field 19). */
const niceOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
};

// How pnpm dev runs its background terraform: at a low priority, whatever threads it starts.
describe("terraform as background work", function () {
  this.timeout(20_000);
  let bin: string;

  before(function () {
    if (process.platform !== "linux") this.skip();
    // A stand-in terraform on PATH that prints the nice value it runs at.
    bin = mkdtempSync(join(tmpdir(), "lf-fake-terraform-"));
    // (Shell builtins only: it runs with this directory alone on PATH too.)
    writeFileSync(
      join(bin, "terraform"),
      '#!/bin/sh\nread -r line < /proc/$$/stat\nset -- $line\nshift 18\necho "$1"\n',
    );
    chmodSync(join(bin, "terraform"), 0o755);
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  const env = () => ({
    ...(process.env as Record<string, string>),
    PATH: `${bin}${delimiter}${process.env.PATH}`,
  });

  it("runs terraform at the niceness asked for, and at the usual one otherwise", async () => {
    const base = niceOf(process.pid);
    const background = await runTerraform(["version"], { cwd: bin, env: env(), niceness: 10 });
    const usual = await runTerraform(["version"], { cwd: bin, env: env() });
    expect(background.code).to.equal(0);
    expect(Number(background.stdout.trim())).to.equal(Math.min(19, base + 10));
    expect(Number(usual.stdout.trim())).to.equal(base);
  });

  it("runs terraform at the usual priority where there is no nice(1)", async () => {
    const run = await runTerraform(["version"], {
      cwd: bin,
      env: { ...(process.env as Record<string, string>), PATH: bin },
      niceness: 10,
    });
    expect(run.code, run.stderr).to.equal(0);
    expect(Number(run.stdout.trim())).to.equal(niceOf(process.pid));
  });

  it("lowers the priority of every thread of a running process", async () => {
    // node: a process with several threads from its start.
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10000)"], { stdio: "ignore" });
    try {
      const pid = child.pid ?? 0;
      // Until its threads have started (slow on a loaded machine).
      for (let i = 0; i < 100 && readdirSync(`/proc/${pid}/task`).length < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const target = Math.min(19, niceOf(process.pid) + 3);
      lowerPriority(pid, target);
      const threads = readdirSync(`/proc/${pid}/task`).map(Number);
      expect(threads.length).to.be.above(1);
      for (const tid of threads) expect(niceOf(tid), `thread ${tid}`).to.equal(target);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
