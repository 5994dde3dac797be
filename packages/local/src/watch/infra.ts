import { spawn } from "node:child_process";
import { join } from "node:path";
import { SourceWatcher } from "./source-watcher.ts";

/** The nice value of what pnpm dev does in the background: an infra edit's synth and apply. */
export const BACKGROUND_NICENESS = 10;

/** An editor's save comes as several events; one batch synthesizes once. */
const SETTLE_MS = 150;

export interface InfraWatcherOptions {
  /** The infra sources (`packages/infra/src`). */
  readonly dir: string;
  /** Synthesizes the stack again; resolves with the directory of the fresh synth. */
  readonly synth: () => Promise<string>;
  /** Applies a fresh synth to the local stack and swaps the routing; resolves with one summary line. */
  readonly apply: (stackDir: string) => Promise<string>;
  readonly log: (line: string) => void;
}

/**
 * Infra reload: when the infra sources change, re-synthesizes, applies the difference to the local
 * stack and swaps the routing to what is now deployed, without a restart. A synth or apply error is
 * printed and the running stack keeps serving what it served.
 */
export class InfraWatcher {
  private watcher?: SourceWatcher;
  private timer?: NodeJS.Timeout;
  private running = false;
  private dirty = false;
  private closed = false;

  constructor(private readonly options: InfraWatcherOptions) {}

  /** Starts watching: a save made after this returns is never missed. */
  start(): void {
    this.watcher = new SourceWatcher({
      dirs: [this.options.dir],
      files: /\.(?:[cm]?[jt]s|json)$/,
      onChange: () => this.changed(),
      log: (line) => this.options.log(line.replace("hot reload", "infra reload")),
    });
    this.watcher.start();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private changed(): void {
    if (this.closed) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), SETTLE_MS);
  }

  private async reload(): Promise<void> {
    this.running = true;
    this.dirty = false;
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
    try {
      this.options.log("infra changed: synthesizing");
      const stackDir = await this.options.synth();
      if (this.closed) return;
      this.options.log("infra: terraform apply of the new synth");
      const summary = await this.options.apply(stackDir);
      this.options.log(`infra applied in ${seconds()} s: ${summary}`);
    } catch (error) {
      this.options.log(
        `infra reload failed after ${seconds()} s; the running stack keeps serving:\n${(error as Error).message}`,
      );
    } finally {
      this.running = false;
      if (this.dirty && !this.closed) this.changed();
    }
  }
}

/**
 * What a failed synth says: the compiler's own errors (`file:line:column: ERROR: …`, the path
 * relative to the repository) when the infra sources did not build, not the loader's stack trace
 * around them; otherwise the whole output.
 */
export function synthFailure(code: number | null, output: string, infraDir: string): string {
  const root = join(infraDir, "..", "..");
  const errors = [...output.matchAll(/^(\/\S+?\.[cm]?[jt]sx?:\d+:\d+: ERROR: .*)$/gm)].map((m) =>
    (m[1] ?? "").replace(`${root}/`, ""),
  );
  if (errors.length > 0)
    return `the infra sources do not build:\n${[...new Set(errors)].join("\n")}\n(\`pnpm synth\` prints the whole output)`;
  return `synth failed (exit ${code}):\n${output.trim()}`;
}

/**
 * Synthesizes one stage again, with the infra package's own synth (`src/bin/synth.ts`), into a
 * directory of the dev session's: `cdktf.out` (what `pnpm synth` and turbo's cache own) is left
 * alone. Function bundles are read as built; a function being edited is hot-reloaded meanwhile,
 * and the next `pnpm dev` builds it into the stack.
 */
export function infraSynth(
  root: string,
  stage: string,
  outdir: string,
  niceness = BACKGROUND_NICENESS,
): () => Promise<string> {
  const infra = join(root, "packages", "infra");
  const command = [join(infra, "node_modules", ".bin", "tsx"), "src/bin/synth.ts", "--stage", stage];
  const run = (nice: boolean) =>
    new Promise<string>((resolve, reject) => {
      // At a low priority (through nice(1), for every thread of it): the synth is background work.
      const [file = "", ...args] = nice ? ["nice", "-n", String(niceness), ...command] : command;
      const child = spawn(file, args, {
        cwd: infra,
        env: { ...process.env, CDKTF_OUTDIR: outdir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk));
      child.on("error", (error: NodeJS.ErrnoException) =>
        // No nice(1) here: the synth runs at the usual priority.
        nice && error.code === "ENOENT" && error.path === "nice" ? resolve(run(false)) : reject(error),
      );
      child.on("close", (code) =>
        code === 0
          ? resolve(join(outdir, "stacks", `lambdaform-${stage}`))
          : reject(new Error(synthFailure(code, output, infra))),
      );
    });
  return () => run(niceness > 0);
}
