import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { synthesize, TERRAFORM_INSTALL_HINT } from "@lambdaform/infra";
import {
  findExecutable,
  findMotoPython,
  freePort,
  MOTO_INSTALL_HINT,
  requirePrerequisite,
} from "@lambdaform/testkit";
import { expect } from "chai";
import { deployedDataDir } from "../deployed-template.ts";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A live (not zombie) process: pid and command line. */
interface LiveProcess {
  readonly pid: number;
  readonly command: string;
}

/** Every live process from /proc, with its parent and session (a zombie has exited: init here may not reap it). */
function liveProcesses(): Array<LiveProcess & { readonly ppid: number; readonly sid: number }> {
  const found: Array<LiveProcess & { readonly ppid: number; readonly sid: number }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid, , sid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z" || state === "X") continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      found.push({ pid: Number(entry), ppid: Number(ppid), sid: Number(sid), command });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * The processes of a session started by `leader`, and its descendants in other sessions (moto
 * runs detached, in a session of its own).
 */
function processesOf(leader: number): LiveProcess[] {
  const all = liveProcesses();
  const parents = new Map(all.map((p) => [p.pid, p.ppid]));
  const descends = (pid: number) => {
    for (let at: number | undefined = pid, depth = 0; at !== undefined && at > 1 && depth < 64; depth++) {
      if (at === leader) return true;
      at = parents.get(at);
    }
    return false;
  };
  return all.filter((p) => p.sid === leader || descends(p.pid)).map(({ pid, command }) => ({ pid, command }));
}

/** Whether a process is still there and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function killAll(processes: ReadonlyArray<LiveProcess>): void {
  for (const { pid } of processes) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/** Whether something accepts connections on 127.0.0.1:port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

// What a script does to stop `pnpm dev`: a signal to pnpm's process group, with no terminal.
// pnpm 12 passes SIGTERM on to the script's own group; a SIGINT it ignores (as a script's background job
// does) it neither passes on nor acts on: the interrupt relay passes it on.
describe("pnpm dev stops on a signal sent from a script to pnpm's process group", function () {
  this.timeout(600_000);
  let synthDir: string;
  let stackDir: string;
  let dataRoot: string;
  /** What each start ran: killed after each test whatever happened. */
  const started: Array<{ readonly leader: number; recorded: LiveProcess[] }> = [];

  before(async function () {
    requirePrerequisite(this, "Python 3 with moto's server", findMotoPython(), MOTO_INSTALL_HINT);
    requirePrerequisite(this, "terraform", findExecutable("terraform"), TERRAFORM_INSTALL_HINT);
    requirePrerequisite(this, "pnpm", findExecutable("pnpm"), "corepack enable, or npm install -g pnpm");
    if (process.platform !== "linux") this.skip();
    synthDir = mkdtempSync(join(tmpdir(), "lf-signals-synth-"));
    synthesize({ outdir: synthDir, stages: ["dev"], backend: { kind: "local" } });
    stackDir = join(synthDir, "stacks", "lambdaform-dev");
    // One data directory for both starts, deployed already: each start restores (~3 s). What is
    // tested is how pnpm dev stops, not its first apply (dev.test.ts's).
    dataRoot = mkdtempSync(join(tmpdir(), "lf-signals-data-"));
    await deployedDataDir(stackDir, join(dataRoot, "dev", "dev"));
  });

  const killLeftovers = () => {
    for (const { leader, recorded } of started)
      killAll([...processesOf(leader), ...recorded.filter((p) => alive(p.pid))]);
  };
  afterEach(killLeftovers);

  after(() => {
    killLeftovers();
    for (const dir of [dataRoot, synthDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * `pnpm dev` from the repository root as a script starts it (`setsid pnpm dev … &`), once it is
   * up: in a session of its own, no terminal, and SIGINT and SIGQUIT ignored, as a non-interactive
   * shell leaves them for a command it runs in the background. (Started from Node with SIGINT at
   * its default, pnpm does pass a SIGINT on; ignoring it, it neither passes it on nor exits.)
   */
  async function startPnpmDev(port: number): Promise<{ pnpm: ChildProcess; output: () => string }> {
    const args = ["dev", "--stack-dir", stackDir, "--no-build", "--no-watch"];
    args.push("--data-dir", dataRoot, "--port", String(port));
    const pnpm = spawn("sh", ["-c", `trap "" INT QUIT; exec pnpm "$@"`, "sh", ...args], {
      cwd: REPO,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    if (pnpm.pid === undefined) throw new Error("pnpm did not start");
    const start = { leader: pnpm.pid, recorded: [] as LiveProcess[] };
    started.push(start);
    let text = "";
    pnpm.stdout?.on("data", (chunk: Buffer) => (text += chunk));
    pnpm.stderr?.on("data", (chunk: Buffer) => (text += chunk));
    let exited: string | undefined;
    pnpm.once("exit", (code, signal) => (exited = `pnpm dev exited (${signal ?? code}) before it was up`));
    const deadline = Date.now() + 300_000;
    for (;;) {
      start.recorded = processesOf(start.leader);
      if (exited) throw new Error(`${exited}:\n${text}`);
      if (Date.now() > deadline) throw new Error(`pnpm dev was not up in time:\n${text}`);
      const ready = await fetch(`http://127.0.0.1:${port}/_lambdaform/health`)
        .then(async (response) => ((await response.json()) as { ready?: boolean }).ready === true)
        .catch(() => false);
      // Ready, and past startDev: the command waits for signals once it printed its banner.
      if (ready && text.includes("Ctrl-C stops everything")) break;
      await sleep(100);
    }
    return { pnpm, output: () => text };
  }

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`stops every process of pnpm dev within 5 s on ${signal} to pnpm's process group`, async () => {
      // Arrange
      const port = await freePort();
      const { pnpm, output } = await startPnpmDev(port);
      const sid = pnpm.pid as number;
      const motoLog = join(dataRoot, "dev", "dev", "moto.log");
      const motoLogBefore = readFileSync(motoLog, "utf8").length;
      const recorded = processesOf(sid);
      expect(recorded.some((p) => p.command.includes("lambdaform_moto.py"))).to.equal(
        true,
        recorded.map((p) => `${p.pid} ${p.command}`).join("\n"),
      );

      // Act
      const sent = performance.now();
      process.kill(-sid, signal);
      let seconds = Number.NaN;
      while (performance.now() - sent < 5_000) {
        if (!recorded.some((p) => alive(p.pid))) {
          seconds = (performance.now() - sent) / 1000;
          break;
        }
        await sleep(20);
      }

      // Assert
      const left = recorded.filter((p) => alive(p.pid));
      expect(left.map((p) => `${p.pid} ${p.command.slice(0, 120)}`)).to.deep.equal(
        [],
        `still running 5 s after ${signal}; output:\n${output()}`,
      );
      await sleep(50); // pnpm's exit event, after the pid is gone
      process.stdout.write(
        `      ${signal}: every process gone in ${seconds.toFixed(2)} s (pnpm exited with ${pnpm.signalCode ?? pnpm.exitCode})\n`,
      );
      expect(processesOf(sid)).to.deep.equal([]);
      expect(await listening(port)).to.equal(false);
      expect(output()).to.include("stopping");
      expect(output()).not.to.include("lambdaform: note:");
      // pnpm dev stopped moto itself: moto did not have to notice that its parent was gone.
      const motoLines = readFileSync(motoLog, "utf8").slice(motoLogBefore);
      expect(motoLines).to.include("snapshot at shutdown");
      expect(motoLines).not.to.include("parent gone");
    });
  }
});
