import { rmSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { Worker } from "node:worker_threads";

/** One message of a failed build, as esbuild reports it. */
export interface BuildMessage {
  readonly text: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly lineText?: string;
}

/** A build that failed: the compiler's messages, with file and line. */
export class BuildError extends Error {
  override readonly name = "BuildError";
  constructor(
    message: string,
    readonly messages: ReadonlyArray<BuildMessage>,
  ) {
    super(message);
  }

  /** The messages as a compiler prints them: `src/handler.ts:12:4: error: …` and the line. */
  format(packageDir: string, root: string): string {
    if (this.messages.length === 0) return this.message;
    return this.messages
      .map((m) => {
        const where = m.file
          ? `${relative(root, `${packageDir}/${m.file}`)}:${m.line ?? 0}:${m.column ?? 0}: `
          : "";
        return `${where}error: ${m.text}${m.lineText ? `\n    ${m.lineText}` : ""}`;
      })
      .join("\n");
  }
}

type Reply = { id: number; built?: boolean; error?: { message: string; messages: BuildMessage[] } };

/**
 * Builds function packages with the shipped bundler configuration, in a worker thread that stays
 * warm: one build of a package at a time, packages side by side (a save of one never waits for
 * another's build, the start's warm-up builds included). A worker that dies (out of memory, a
 * crash in the bundler) fails the build it was running with what happened, and the next build
 * starts a new one.
 */
export class FunctionBuilder {
  private worker?: { readonly thread: Worker; readonly ready: Promise<void> };
  private readonly pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  private nextId = 1;
  /** One build of a package at a time (its bundle is rebuilt in place); packages side by side. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private closed = false;

  private start() {
    const thread = new Worker(new URL("./build-worker.mjs", import.meta.url));
    thread.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const died = (error: Error) => {
        if (this.worker?.thread === thread) this.worker = undefined;
        reject(error);
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
      };
      thread.once("error", (error) => died(new Error(`the build worker crashed: ${error.message}`)));
      thread.once("exit", (code) => died(new Error(`the build worker exited (code ${code})`)));
      thread.on("message", (message: Reply & { ready?: boolean }) => {
        if (message.ready) return resolve();
        this.pending.get(message.id)?.resolve(message);
        this.pending.delete(message.id);
      });
    });
    ready.catch(() => {});
    this.worker = { thread, ready };
    return this.worker;
  }

  /**
   * Builds the package in `dir` into `outDir`: the bundle and its map (no zip: the runtime runs
   * the bundle as built).
   *
   * @throws {BuildError} with the compiler's messages when it does not build.
   */
  build(dir: string, outDir: string): Promise<void> {
    const run = (this.queues.get(dir) ?? Promise.resolve()).then(async () => {
      if (this.closed) throw new Error("the builder is closed");
      const worker = this.worker ?? this.start();
      await worker.ready;
      const id = this.nextId++;
      const reply = await new Promise<Reply>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        worker.thread.postMessage({ id, dir, outDir });
      });
      if (reply.error) throw new BuildError(reply.error.message, reply.error.messages);
      if (!reply.built) throw new BuildError("the build wrote no bundle", []);
    });
    this.queues.set(
      dir,
      run.catch(() => {}),
    );
    return run;
  }

  /**
   * Builds each package once in the background, into `<buildDir>/<package>/0`, so every package
   * has its bundle ready to build again by its first save: a first build loads the bundler and
   * parses the package and its installed dependencies (1.2 s for ec2-monitor; a later one 0.05 s).
   * `pnpm dev` starts it first thing, beside moto's start and the apply. Resolves (never rejects)
   * with the packages built, each to where: a spare environment is made from it (see
   * FunctionRuntime.prepareSpare).
   */
  prepare(dirs: ReadonlyArray<string>, buildDir: string): Promise<ReadonlyMap<string, string>> {
    return (async () => {
      const built = new Map<string, string>();
      for (const dir of dirs) {
        if (this.closed) break;
        const outDir = join(buildDir, basename(dir), "0");
        rmSync(outDir, { recursive: true, force: true });
        await this.build(dir, outDir).then(
          () => built.set(dir, outDir),
          () => {},
        );
      }
      return built;
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.thread.terminate();
  }
}
