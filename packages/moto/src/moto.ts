import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A moto server on loopback, owned by the test that started it. */
export interface MotoServer {
  /** e.g. `http://127.0.0.1:40123`, for `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly pid: number;
  /** Wipes every resource (moto's reset API), so each suite starts clean. */
  reset(): Promise<void>;
  /** Stops the server by PID and waits for it to exit. */
  stop(): Promise<void>;
}

export const MOTO_INSTALL_HINT =
  "install moto's server: pip install 'moto[server]' (it provides moto_server)";

/** Fake credentials for talking to moto; never real ones. */
export const FAKE_AWS_ENV = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_SESSION_TOKEN: "testing",
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
} as const;

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Finds an executable on PATH, or returns undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** The moto_server executable, from `MOTO_SERVER` or PATH. */
export function findMotoServer(): string | undefined {
  return process.env.MOTO_SERVER || findExecutable("moto_server");
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`moto did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

export interface MotoOptions {
  /** Loopback port; a free one when omitted. */
  readonly port?: number;
  readonly timeoutMs?: number;
  /** Where moto's own log goes (a temporary file by default). */
  readonly logFile?: string;
}

/** A moto process on loopback, started and waited for; `log` reads the end of its log. */
export async function spawnMoto(
  command: string,
  args: (port: number) => ReadonlyArray<string>,
  options: MotoOptions & {
    readonly readyPath: string;
    readonly env?: Readonly<Record<string, string>>;
    /** In a process group of its own, so a terminal's Ctrl-C reaches only this process. */
    readonly detached?: boolean;
  },
): Promise<{ endpoint: string; pid: number; child: ChildProcess; log: () => string; logFile: string }> {
  const { timeoutMs = 30_000 } = options;
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  // moto logs every request. Its output goes to a file, not a pipe: a pipe nobody drains (say, while
  // this process waits in spawnSync) fills up and stalls moto mid-request.
  const logFile = options.logFile ?? join(mkdtempSync(join(tmpdir(), "lambdaform-moto-")), "moto.log");
  const out = openSync(logFile, "a");
  const child = spawn(command, [...args(port)], {
    stdio: ["ignore", out, out],
    env: { ...process.env, ...options.env },
    detached: options.detached ?? false,
  });
  closeSync(out);
  const log = () => {
    try {
      return readFileSync(logFile, "utf8").slice(-4000);
    } catch {
      return "";
    }
  };
  const pid = child.pid;
  // Never leave a moto behind when this process exits, however it exits.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  if (pid === undefined) throw new Error(`could not start ${command}`);
  try {
    await waitUntilReady(`${endpoint}${options.readyPath}`, child, log, timeoutMs);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return { endpoint, pid, child, log, logFile };
}

/** Stops a child by PID (SIGTERM) and waits for it to exit. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Starts moto_server on loopback (fresh, in memory) and waits until it answers. */
export async function startMoto(executable: string, options: MotoOptions = {}): Promise<MotoServer> {
  const { endpoint, pid, child } = await spawnMoto(
    executable,
    (port) => ["-H", "127.0.0.1", "-p", String(port)],
    {
      ...options,
      readyPath: "/moto-api/data.json",
    },
  );
  return {
    endpoint,
    pid,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop: () => stopChild(child),
  };
}
