import { spawn } from "node:child_process";
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Variables that name a tool directly, cleared with the tools hidden (as on a machine without them). */
const TOOL_VARIABLES = ["MOTO_PYTHON", "MOTO_SERVER", "LAMBDAFORM_CHROMIUM", "LAMBDAFORM_REQUIRE_TOOLS"];

/**
 * A PATH of one directory holding a link to every executable of `path` but the `hidden` ones: the
 * same machine, without those tools (a fresh one, before `.ci/run` installs them).
 */
export function pathWithout(
  hidden: ReadonlyArray<string>,
  path = process.env.PATH ?? "",
): {
  readonly path: string;
  readonly remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "lf-path-without-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const linked = new Set<string>(hidden);
  for (const from of path.split(delimiter)) {
    if (!from) continue;
    let names: string[];
    try {
      names = readdirSync(from);
    } catch {
      continue;
    }
    for (const name of names) {
      if (linked.has(name)) continue;
      try {
        accessSync(join(from, name), constants.X_OK);
        symlinkSync(join(from, name), join(bin, name));
        linked.add(name);
      } catch {
        // not an executable, or a dangling link
      }
    }
  }
  return { path: bin, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What mocha reported for a run (spec reporter), and the suites that said they were skipped. */
export interface MochaRun {
  readonly passing: number;
  readonly failing: number;
  readonly pending: number;
  /** The suite titles of `!!! SKIPPED "<suite>": …` lines. */
  readonly skipped: ReadonlyArray<string>;
  readonly output: string;
  readonly code: number | null;
}

/**
 * Runs a package's mocha suites on this machine with `hidden` tools gone from PATH (and the
 * variables that name tools cleared): the path a user without them takes. Every suite that needs
 * one must skip loudly and pass its hooks.
 *
 * @example
 * const run = await mochaWithout(["moto_server", "python3"], { cwd: packageDir, files: ["test/e2e/*.test.ts"] });
 * expect(run.failing).to.equal(0);
 */
export async function mochaWithout(
  hidden: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly files: ReadonlyArray<string>; readonly timeoutMs?: number },
): Promise<MochaRun> {
  const mocha = createRequire(join(options.cwd, "package.json")).resolve("mocha/bin/mocha.js");
  // The package's own settings, but only the files given: a config's `spec` would add the rest.
  const rc = JSON.parse(readFileSync(join(options.cwd, ".mocharc.json"), "utf8")) as {
    "node-option"?: string[];
    require?: string[];
    timeout?: number;
  };
  const settings = [
    "--no-config",
    ...(rc["node-option"] ?? []).flatMap((option) => ["--node-option", option]),
    ...(rc.require ?? []).flatMap((file) => ["--require", file]),
    ...(rc.timeout ? ["--timeout", String(rc.timeout)] : []),
  ];
  const stripped = pathWithout(hidden);
  const env: Record<string, string | undefined> = { ...process.env, PATH: stripped.path };
  for (const name of TOOL_VARIABLES) delete env[name];
  try {
    const { output, code } = await new Promise<{ output: string; code: number | null }>((resolve, reject) => {
      const child = spawn(process.execPath, [mocha, ...settings, "--reporter", "spec", ...options.files], {
        cwd: options.cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
      child.on("error", reject);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ output: text, code: status });
      });
    });
    const count = (word: string) => Number(new RegExp(`(\\d+) ${word}\\b`).exec(output)?.[1] ?? 0);
    return {
      passing: count("passing"),
      failing: count("failing"),
      pending: count("pending"),
      skipped: [...output.matchAll(/!!! SKIPPED "([^"]+)"/g)].map((m) => m[1] ?? ""),
      output,
      code,
    };
  } finally {
    stripped.remove();
  }
}
