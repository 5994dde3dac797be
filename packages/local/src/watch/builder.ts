import { relative } from "node:path";
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
 * warm, one build at a time.
 */
export class FunctionBuilder {
  private readonly worker = new Worker(new URL("./build-worker.mjs", import.meta.url));
  private readonly ready: Promise<void>;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("error", reject);
      this.worker.on("message", (message: Reply & { ready?: boolean }) => {
        if (message.ready) return resolve();
        this.pending.get(message.id)?.(message);
        this.pending.delete(message.id);
      });
    });
  }

  /**
   * Builds the package in `dir` into `outDir`: the bundle and its map (no zip: the runtime runs
   * the bundle as built).
   *
   * @throws {BuildError} with the compiler's messages when it does not build.
   */
  build(dir: string, outDir: string): Promise<void> {
    const run = this.queue.then(async () => {
      await this.ready;
      const id = this.nextId++;
      const reply = await new Promise<Reply>((resolve) => {
        this.pending.set(id, resolve);
        this.worker.postMessage({ id, dir, outDir });
      });
      if (reply.error) throw new BuildError(reply.error.message, reply.error.messages);
      if (!reply.built) throw new BuildError("the build wrote no bundle", []);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
