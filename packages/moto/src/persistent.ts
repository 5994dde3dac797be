import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  findExecutable,
  MOTO_INSTALL_HINT,
  type MotoOptions,
  type MotoServer,
  spawnMoto,
  stopChild,
} from "./moto.ts";

/** The Python module that runs moto with a snapshot and a journal (see its docstring). */
const LAUNCHER = fileURLToPath(new URL("../python/lambdaform_moto.py", import.meta.url));
const CONTROL = "/_lambdaform-moto";

/** What a start restored: the snapshot's sequence, journal entries replayed, a torn tail dropped. */
export interface Restored {
  readonly snapshot_seq: number;
  readonly snapshot_s: number;
  readonly replayed: number;
  readonly dropped_bytes: number;
  readonly seconds: number;
  /** Journal entries that answered otherwise on replay than when recorded (each one logged). */
  readonly mismatches: number;
}

/** moto with state that survives a restart, in a directory of its own. */
export interface PersistentMoto extends MotoServer {
  readonly stateDir: string;
  /** What this start restored from the state directory. */
  readonly restored: Restored;
  /** moto's version, which a snapshot must match. */
  readonly version: string;
  /**
   * The identity of the state's history: new when it starts empty or is reset, kept across
   * restarts. A record of what was deployed here is valid only with the same id.
   */
  stateId(): Promise<string>;
  /**
   * Writes a snapshot now (one is also written on stop and periodically while state changes).
   * `aside`: as the periodic one is, by a forked copy, while moto goes on answering.
   */
  snapshot(options?: { readonly aside?: boolean }): Promise<{ seq: number; bytes: number; seconds: number }>;
  /** True once the process has exited (killed, crashed or stopped). */
  exited(): boolean;
  /** Called once if the process exits without being asked to stop. */
  onUnexpectedExit(listener: (code: number | null, log: string) => void): void;
}

export const MOTO_PYTHON_ENV = "MOTO_PYTHON";

/**
 * A Python 3 that can import moto's server (moto and werkzeug): `MOTO_PYTHON` when set, else
 * `python3` on PATH. Undefined when there is none.
 */
export function findMotoPython(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const candidate = env[MOTO_PYTHON_ENV] || findExecutable("python3", env.PATH ?? "");
  if (!candidate) return undefined;
  const probe = spawnSync(candidate, ["-c", "import moto, werkzeug; print(moto.__version__)"], {
    encoding: "utf8",
  });
  return probe.status === 0 ? candidate : undefined;
}

/**
 * The Python to run moto with, without asking it (`MOTO_PYTHON`, else `python3` on PATH):
 * {@link startPersistentMoto} says what to install when it has no moto. Probing first costs a
 * second import of moto (0.8 s) on the way to every start.
 */
export function motoPythonCandidate(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env[MOTO_PYTHON_ENV] || findExecutable("python3", env.PATH ?? "");
}

/** moto's server is not importable by the Python given: what to install is in the message. */
export class MotoMissingError extends Error {
  override readonly name = "MotoMissingError";
}

export interface PersistentMotoOptions extends MotoOptions {
  /** The state directory: `snapshot.pkl` and `journal.jsonl`. */
  readonly stateDir: string;
  /** Seconds between snapshots while the state changes (0: only on stop). */
  readonly snapshotEverySeconds?: number;
}

/** Starts moto on loopback with its state restored from `stateDir`, and waits until it answers. */
export async function startPersistentMoto(
  python: string,
  options: PersistentMotoOptions,
): Promise<PersistentMoto> {
  const every = String(options.snapshotEverySeconds ?? 30);
  const { endpoint, pid, child, log } = await spawnMoto(
    python,
    (port) => [
      LAUNCHER,
      ...["--port", String(port), "--state-dir", options.stateDir, "--snapshot-every", every],
      ...["--parent-pid", String(process.pid)],
    ],
    {
      // Restoring a large snapshot and journal takes longer than a fresh moto's start.
      timeoutMs: 120_000,
      ...options,
      readyPath: `${CONTROL}/status`,
      env: { PYTHONUNBUFFERED: "1" },
      // Ctrl-C in a terminal goes to this process, which stops moto after its own last writes;
      // moto stops by itself if this process is killed.
      detached: true,
    },
  ).catch((error: Error) => {
    const missing = /No module named '(moto|werkzeug|flask)[^']*'/.exec(error.message);
    if (missing)
      throw new MotoMissingError(
        `${python} has no ${missing[1]}: ${MOTO_INSTALL_HINT} (or set ${MOTO_PYTHON_ENV} to the Python that has it).`,
      );
    throw error;
  });
  const readStatus = async () =>
    (await (await fetch(`${endpoint}${CONTROL}/status`)).json()) as {
      restored: Restored;
      moto: string;
      state_id: string;
    };
  const status = await readStatus();
  let stopping = false;
  const listeners: Array<(code: number | null, log: string) => void> = [];
  child.once("exit", (code) => {
    if (!stopping) for (const listener of listeners) listener(code, log());
  });
  return {
    endpoint,
    pid,
    stateDir: options.stateDir,
    restored: status.restored,
    version: status.moto,
    stateId: async () => (await readStatus()).state_id,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async snapshot(options = {}) {
      const query = options.aside ? "?aside=1" : "";
      const response = await fetch(`${endpoint}${CONTROL}/snapshot${query}`, { method: "POST" });
      const body = (await response.json()) as {
        seq: number;
        bytes: number;
        seconds: number;
        message?: string;
      };
      if (!response.ok)
        throw new Error(`moto could not write a snapshot: ${body.message ?? response.status}`);
      return body;
    },
    exited: () => child.exitCode !== null || child.signalCode !== null,
    onUnexpectedExit: (listener) => listeners.push(listener),
    stop() {
      stopping = true;
      return stopChild(child);
    },
  };
}
