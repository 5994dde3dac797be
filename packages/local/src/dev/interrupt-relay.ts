import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { findExecutable, MOTO_PYTHON_ENV } from "@lambdaform/moto";

/**
 * Why there is a relay at all: pnpm 12 runs a package script in a process group of its own and,
 * without a terminal, neither passes on a SIGINT sent to its own group nor exits on it, so a
 * script's `kill -INT -<pnpm's pgid>` never reaches `pnpm dev` (SIGTERM it does pass on). In a
 * terminal Ctrl-C reaches the script's group directly, which is the foreground group.
 *
 * The relay is a sentinel process that joins pnpm's process group (a process may move itself into
 * a group of its own session) and tells us, on its stdout, which signal that group received.
 */
const RELAYED = new Set<string>(["SIGINT", "SIGTERM", "SIGHUP"]);

/**
 * The sentinel: handlers first (until it has moved it is in our group and sees what we see), then
 * setpgid(0, pgid), then "ready"; a relayed signal is written as its name, then it exits. It exits
 * too when its stdin (our end of a pipe) reaches EOF: we are gone.
 */
const SENTINEL = `
import os, signal, sys
def relay(signum, frame):
    os.write(1, (signal.Signals(signum).name + "\\n").encode())
    os._exit(0)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, relay)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
pgid = int(sys.argv[1])
try:
    os.setpgid(0, pgid)
except OSError as error:
    os.write(1, ("error: setpgid(0, %d) failed: %s\\n" % (pgid, error.strerror)).encode())
    sys.exit(1)
os.write(1, b"ready\\n")
while os.read(0, 512):
    pass
`;

/** Where a process sits, from `/proc/<pid>/stat`. */
export interface ProcStat {
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** The foreground process group of the process's terminal (-1 without one). */
  readonly tpgid: number;
}

/** Parses `/proc/<pid>/stat`: `pid (comm) state ppid pgrp session …`, where comm may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat {
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [ppid, pgrp, session, tpgid] = [fields[1], fields[2], fields[3], fields[5]].map(Number);
  if (
    ppid === undefined ||
    pgrp === undefined ||
    session === undefined ||
    tpgid === undefined ||
    [ppid, pgrp, session, tpgid].some(Number.isNaN)
  )
    throw new Error(`unexpected /proc stat line: ${text.slice(0, 80)}`);
  return { ppid, pgrp, session, tpgid };
}

const readProcStat = (pid: number | "self"): ProcStat =>
  parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));

/**
 * pnpm's process group: the nearest ancestor's group, from our parent up, that is not ours and
 * is in our session. Throws, saying why, when there is none.
 */
export function pnpmProcessGroup(read: (pid: number | "self") => ProcStat = readProcStat): number {
  const self = read("self");
  let pid = self.ppid;
  for (let depth = 0; depth < 64 && pid > 1; depth++) {
    const ancestor = read(pid);
    if (ancestor.session !== self.session) break;
    if (ancestor.pgrp !== self.pgrp) return ancestor.pgrp;
    pid = ancestor.ppid;
  }
  throw new Error(`no ancestor in another process group of session ${self.session}`);
}

/** A relay of the signals pnpm's process group receives. */
export interface InterruptRelay {
  /** Settles with the signal pnpm's process group received; never while the relay is off. */
  readonly signalled: Promise<NodeJS.Signals>;
  /** Ends the sentinel (idempotent). Also done when this process exits. */
  stop(): void;
}

export interface InterruptRelayOptions {
  /** Where the one line saying the relay is off (and why) goes. */
  readonly log: (line: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads a process's stat (tests pass their own). */
  readonly read?: (pid: number | "self") => ProcStat;
}

/**
 * Whether this process runs in the foreground of a terminal: then Ctrl-C reaches its group
 * directly, and a script that signals pnpm's group has a terminal of its own to do it with.
 */
export function inTerminalForeground(self: ProcStat): boolean {
  return self.tpgid > 0 && self.tpgid === self.pgrp;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Relays a signal sent to pnpm's process group when this runs as a pnpm package script on Linux;
 * does nothing otherwise. Never throws: when it cannot relay it logs one line and stays off.
 *
 * It starts on the next turn of the event loop, after whatever the caller starts right away. The
 * sentinel holds nothing of the event loop.
 */
export function startInterruptRelay(options: InterruptRelayOptions): InterruptRelay {
  const env = options.env ?? process.env;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    resolveSignal = resolve;
  });
  // Only a pnpm package script needs it: npm and a plain shell leave the script in the group a
  // signal is sent to.
  if (!env.npm_lifecycle_event || !(env.npm_config_user_agent ?? "pnpm/").startsWith("pnpm/"))
    return { signalled, stop: () => {} };

  let stopped = false;
  let kill: (() => void) | undefined;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearImmediate(starting);
    process.off("exit", stop);
    kill?.();
  };
  const off = (reason: string) => {
    if (!stopped)
      options.log(
        `lambdaform: note: SIGINT from a script to pnpm's process group will not reach pnpm dev (${reason}); send SIGTERM`,
      );
    stop();
  };
  const read = options.read ?? readProcStat;
  const start = () => {
    if (process.platform !== "linux") throw new Error(`no /proc on ${process.platform}`);
    // In a terminal's foreground Ctrl-C works as it is: no relay, and nothing to say.
    if (inTerminalForeground(read("self"))) return stop();
    const pgid = pnpmProcessGroup(read);
    // Any Python 3 runs the sentinel: no probe for moto (a 0.7 s import, on this event loop).
    const python = env[MOTO_PYTHON_ENV] || findExecutable("python3", env.PATH ?? "");
    if (!python) throw new Error("no Python 3 to run its sentinel");
    const sentinel = spawn(python, ["-I", "-S", "-c", SENTINEL, String(pgid)], {
      stdio: ["pipe", "pipe", "ignore"],
    });
    kill = () => {
      sentinel.stdin.destroy();
      if (sentinel.exitCode === null && sentinel.signalCode === null) sentinel.kill("SIGKILL");
    };
    sentinel.unref();
    (sentinel.stdin as unknown as Socket).unref();
    (sentinel.stdout as unknown as Socket).unref();
    let ready = false;
    let pending = "";
    sentinel.stdout.setEncoding("utf8");
    sentinel.stdout.on("data", (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line === "ready") ready = true;
        else if (RELAYED.has(line)) {
          resolveSignal(line as NodeJS.Signals);
          stop();
        } else if (line.startsWith("error: ")) off(line.slice("error: ".length));
      }
    });
    sentinel.on("error", (error) => off(`${python}: ${error.message}`));
    sentinel.on("close", (code, signal) => {
      const how = signal ?? `exit ${code}`;
      off(ready ? `its sentinel in group ${pgid} ended (${how})` : `its sentinel did not start (${how})`);
    });
  };
  const starting = setImmediate(() => {
    try {
      if (!stopped) start();
    } catch (error) {
      off(message(error));
    }
  });
  starting.unref();
  process.once("exit", stop);
  return { signalled, stop };
}
