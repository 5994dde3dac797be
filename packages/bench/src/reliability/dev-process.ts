import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { ControlClient } from "@lambdaform/local";

/**
 * A real `pnpm dev`, as a user starts it, in a session of its own (so a signal can go to its
 * process group the way a script or a terminal sends it), with every line it prints kept.
 */

export interface DevProcessOptions {
  readonly root: string;
  /** `--data-dir`: pnpm dev keeps the stage's data under `<dataRoot>/dev/dev`. */
  readonly dataRoot: string;
  readonly port: number;
  /** Extra flags (`--faults`, `--no-api-throttling`). */
  readonly flags?: ReadonlyArray<string>;
  /** Where everything it prints goes (appended). */
  readonly logFile: string;
  /**
   * As a person runs it, in a working copy at `root`: building and synthesizing first, hot reload
   * on. Otherwise (the default) it runs the synthesized stack as it is, with `--no-watch`.
   */
  readonly asPerson?: boolean;
}

/** A process of pnpm dev's session: pnpm, its watchdog, the script's shell, node, moto, the provider. */
export interface SessionProcess {
  readonly pid: number;
  readonly command: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every live process whose session is `sid`, or whose parent chain leads to `root` (moto's own group). */
function sessionProcesses(sid: number): SessionProcess[] {
  const found: SessionProcess[] = [];
  const parents = new Map<number, number>();
  const sessions = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid pgrp session …: comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const pid = Number(name);
      parents.set(pid, Number(fields[1]));
      sessions.set(pid, Number(fields[3]));
      commands.set(pid, readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim());
    } catch {
      // Gone while we looked.
    }
  }
  for (const [pid, session] of sessions)
    if (session === sid) found.push({ pid, command: commands.get(pid) ?? "" });
  return found;
}

/** Whether something accepts connections on the loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export class DevProcess {
  readonly child: ChildProcess;
  private readonly log: WriteStream;
  /** The first lines it printed (the start and its banner), then the last 200 KB. */
  private head = "";
  private output = "";
  /**
   * Every line pnpm dev printed of its own (not a function's log line, which starts with its
   * name in brackets, nor a JSON record), as it came: counting them stays right however long it
   * runs, where {@link printed} keeps only the last 200 KB.
   */
  readonly said: string[] = [];
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly control: ControlClient;

  private constructor(readonly options: DevProcessOptions) {
    const stackDir = join(options.root, "packages", "infra", "cdktf.out", "stacks", "lambdaform-dev");
    this.log = createWriteStream(options.logFile, { flags: "a" });
    this.log.write(`\n===== pnpm dev started ${new Date().toISOString()} =====\n`);
    // As a script starts it in the background (`pnpm dev &`): the shell has it ignore SIGINT, so
    // a SIGINT to its group reaches pnpm dev only through its relay (pnpm does not pass it on).
    this.child = spawn(
      "/bin/sh",
      [
        "-c",
        'trap "" INT QUIT; exec pnpm "$@"',
        "sh",
        "dev",
        "--stage",
        "dev",
        "--data-dir",
        options.dataRoot,
        "--port",
        String(options.port),
        ...(options.asPerson ? [] : ["--stack-dir", stackDir, "--no-watch"]),
        ...(options.flags ?? []),
      ],
      {
        cwd: options.root,
        // A session of its own: its group is its pid, as for a command a script starts with setsid.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", CI: "" },
      },
    );
    // Each stream cut into lines on its own (a chunk of one may end mid-line while the other writes).
    const keep = () => {
      const decoder = new StringDecoder("utf8");
      let partial = "";
      return (chunk: Buffer) => {
        this.log.write(chunk);
        const text = decoder.write(chunk);
        if (this.head.length < 50_000) this.head += text;
        this.output = (this.output + text).slice(-200_000);
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines)
          if (line && !line.startsWith("[") && !line.startsWith("{")) this.said.push(line);
      };
    };
    this.child.stdout?.on("data", keep());
    this.child.stderr?.on("data", keep());
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    this.control = new ControlClient(`http://127.0.0.1:${options.port}`);
  }

  static start(options: DevProcessOptions): DevProcess {
    return new DevProcess(options);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** The last lines it printed. */
  tail(lines = 15): string {
    return this.output.split("\n").slice(-lines).join("\n");
  }

  /** What it printed: its start (banner included) and its last 200 KB. */
  get printed(): string {
    return `${this.head}\n${this.output}`;
  }

  /** Resolves once a line matching `pattern` was printed (or rejects when it exits first). */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!pattern.test(this.printed)) {
      if (this.exit)
        throw new Error(
          `pnpm dev exited (${this.describeExit()}) before printing ${pattern}:\n${this.tail()}`,
        );
      if (performance.now() > deadline)
        throw new Error(`pnpm dev did not print ${pattern} in ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(20);
    }
  }

  /** Resolves with the time to ready once its control API says the stack is ready. */
  async ready(timeoutMs = 240_000): Promise<number> {
    const started = performance.now();
    await this.waitFor(/^ready in /m, timeoutMs);
    const health = await fetch(`${this.control.endpoint}/_lambdaform/health`);
    if (!health.ok) throw new Error(`pnpm dev printed ready, but its health answers HTTP ${health.status}`);
    return performance.now() - started;
  }

  describeExit(): string {
    if (!this.exit) return "running";
    return this.exit.signal ? `signal ${this.exit.signal}` : `exit ${this.exit.code}`;
  }

  /** Every process of its session now (moto and the provider have groups, not sessions, of their own). */
  processes(): SessionProcess[] {
    return this.pid ? sessionProcesses(this.pid) : [];
  }

  /** Sends a signal to pnpm's process group, as `kill -<SIG> -<pgid>` from a script does. */
  signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** Sends a signal to one process it started (by a match on its command line). */
  signalProcess(match: RegExp, signal: NodeJS.Signals): SessionProcess | undefined {
    const target = [...this.processes(), ...this.descendants()].find((p) => match.test(p.command));
    if (target) process.kill(target.pid, signal);
    return target;
  }

  /**
   * Waits until none of `processes` is alive; resolves with the time it took, or with undefined
   * and the survivors when `timeoutMs` passed first.
   */
  static async gone(
    processes: ReadonlyArray<SessionProcess>,
    timeoutMs: number,
  ): Promise<{ ms?: number; survivors: SessionProcess[] }> {
    const started = performance.now();
    const alive = () =>
      processes.filter((p) => {
        try {
          const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8");
          return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
        } catch {
          return false;
        }
      });
    while (performance.now() - started < timeoutMs) {
      if (alive().length === 0) return { ms: performance.now() - started, survivors: [] };
      await sleep(25);
    }
    return { survivors: alive() };
  }

  /** Stops it as a script would (SIGTERM to its group) and waits; SIGKILLs whatever is left after 10 s. */
  async stop(): Promise<void> {
    const all = [...this.processes(), ...this.descendants()];
    this.signalGroup("SIGTERM");
    const { survivors } = await DevProcess.gone(all, 10_000);
    for (const p of survivors) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
    await Promise.race([this.exited, sleep(2_000)]);
    this.log.end();
  }

  /** moto and the provider: started by pnpm dev in groups of their own, found by their data directory or parent. */
  descendants(): SessionProcess[] {
    const mine = new Set(this.processes().map((p) => p.pid));
    const found: SessionProcess[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name) || mine.has(Number(name))) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (mine.has(ppid))
          found.push({
            pid: Number(name),
            command: readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim(),
          });
      } catch {
        // Gone.
      }
    }
    return found;
  }
}
