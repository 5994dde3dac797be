import { Worker } from "node:worker_threads";
import type { FunctionSpec } from "../stack/read-stack.ts";
import { EnvironmentLog } from "./environment-log.ts";
import { heapLimits, RESPONSE_TOO_LARGE, responseTooLarge } from "./lambda-limits.ts";
import { EnvironmentClock, type PausableTimer } from "./pausable-timer.ts";
import type { PauseMonitor } from "./pause-monitor.ts";
import type { StackTraceMapper } from "./source-maps.ts";
import type { LambdaError, LogSink } from "./types.ts";

const BOOTSTRAP = new URL("./bootstrap.mjs", import.meta.url);
const INIT_TIMEOUT_MS = 10_000;
/**
 * While an init or an invocation runs longer than this, the host reads its log lines every so
 * often, so a slow function's lines show as they are written; a quick one's come with its result.
 */
export const LIVE_LOG_INTERVAL_MS = 100;

/** What one invocation of an environment produced, before the logs are framed. */
export interface RawOutcome {
  readonly ok: boolean;
  readonly payloadJson?: string;
  readonly error?: LambdaError;
  readonly durationMs: number;
  readonly maxMemoryBytes: number;
  /** True when the environment died (timeout, crash, out of memory) and must not be reused. */
  readonly fatal: boolean;
  readonly lines: ReadonlyArray<string>;
}

export interface EnvironmentOptions {
  readonly spec: FunctionSpec;
  readonly taskRoot: string;
  /** Which code generation of the function this environment runs (a hot reload starts the next). */
  readonly generation: number;
  readonly env: Readonly<Record<string, string>>;
  readonly logStreamName: string;
  /** The context fields that stay the same for every invocation of this environment. */
  readonly context: Readonly<Record<string, string>>;
  readonly onLog?: LogSink;
  /** Maps stack frames in log lines and errors back to the TypeScript sources. */
  readonly traces?: StackTraceMapper;
  /** Stops this environment's clocks while a debugger holds it paused (`--inspect`). */
  readonly pauses?: PauseMonitor;
}

/**
 * A spare environment's options: everything but the code. It imports `preload` (a hot build's
 * vendor files) at once, then waits for the code (see {@link ExecutionEnvironment.spare}).
 */
export interface SpareOptions extends Omit<EnvironmentOptions, "taskRoot" | "generation" | "traces"> {
  readonly preload: ReadonlyArray<string>;
}

/** The code a spare environment is given: what {@link EnvironmentOptions} would have said. */
export interface SpareCode {
  readonly taskRoot: string;
  readonly generation: number;
  readonly traces?: StackTraceMapper;
}

/** An environment started ahead of its code: see {@link ExecutionEnvironment.spare}. */
export interface SpareEnvironment {
  /** Settles once it imported its files (true), or could not (false: it is of no use). */
  readonly preloaded: Promise<boolean>;
  /**
   * Runs the code's init in this environment, as {@link ExecutionEnvironment.start} would; undefined
   * when the spare could not be used (its preload failed or it ended): start one the usual way.
   */
  start(code: SpareCode): Promise<ExecutionEnvironment | undefined>;
  kill(): Promise<void>;
}

/** How long a spare may take to import its vendor files before it is given up. */
const PRELOAD_TIMEOUT_MS = 30_000;

/** An outcome before the environment adds its memory peak and log lines (duration defaults to wall time). */
type FinishInput = Omit<RawOutcome, "lines" | "maxMemoryBytes" | "durationMs"> & {
  readonly durationMs?: number;
};

type Message =
  | { type: "preloaded" }
  | { type: "preload-failed"; error: LambdaError }
  | { type: "ready"; initMs: number; memoryBytes: number }
  | { type: "init-error"; error: LambdaError; initMs: number }
  /** The log ring is full: the worker waits until the host has read it. */
  | { type: "drain" }
  | { type: "fatal"; error: LambdaError }
  | {
      type: "result";
      id: number;
      ok: boolean;
      payloadJson?: string;
      error?: LambdaError;
      durationMs: number;
      memoryBytes: number;
    };

/**
 * One Lambda execution environment: a worker thread with the function's environment variables and
 * a heap limit of its memory size. Module scope stays warm between invocations; a timeout, a crash,
 * `process.exit` or running out of memory ends it, and the next invocation gets a fresh one.
 */
export class ExecutionEnvironment {
  readonly logStreamName: string;
  /** Set at start (a spare environment's when it is given its code). */
  generation: number;
  initDurationMs = 0;
  private traces?: StackTraceMapper;
  private readonly worker: Worker;
  private dead = false;
  private pending?: {
    resolve: (outcome: RawOutcome) => void;
    id: number;
    requestId: string;
    started: number;
    timer: PausableTimer;
  };
  /** This environment's clock: its timers and the deadline the worker reads stop at a breakpoint. */
  private readonly clock = new EnvironmentClock(() => this.worker.performance.eventLoopUtilization().idle);
  /** The function's log output, as the worker writes it (see environment-log.ts). */
  private readonly output: EnvironmentLog;
  /** Reads the log ring while an init or invocation runs long (see {@link LIVE_LOG_INTERVAL_MS}). */
  private live?: NodeJS.Timeout;
  private initializing = true;
  /** What each log line of this environment is sent to `onLog` with. */
  readonly logMeta: { readonly functionName: string; readonly logStreamName: string };
  private nextId = 1;
  private peakBytes = 0;
  private initError?: LambdaError;

  private constructor(
    private readonly options: Omit<EnvironmentOptions, "taskRoot"> & {
      readonly taskRoot?: string;
      readonly preload?: ReadonlyArray<string>;
    },
  ) {
    this.logStreamName = options.logStreamName;
    this.generation = options.generation;
    this.traces = options.traces;
    this.logMeta = { functionName: options.spec.name, logStreamName: options.logStreamName };
    this.output = new EnvironmentLog(this.logMeta, options.onLog, options.traces);
    this.worker = new Worker(BOOTSTRAP, {
      workerData: {
        taskRoot: options.taskRoot,
        preload: options.preload,
        handler: options.spec.handler,
        context: options.context,
        clock: this.clock.shared,
        logs: this.output.ring.buffer,
      },
      env: { ...options.env },
      resourceLimits: heapLimits(options.spec.memoryMb),
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    const pauses = options.pauses;
    if (pauses) {
      this.watched = pauses.add(this);
      this.worker.once("exit", () => pauses.remove(this));
    }
  }

  /** Under `--inspect`: settles once the pause monitor watches this environment's thread. */
  private watched: Promise<void> = Promise.resolve();

  /** Starts an environment and runs the function's init (module load). Init errors are kept, not thrown. */
  static async start(options: EnvironmentOptions): Promise<ExecutionEnvironment> {
    const env = new ExecutionEnvironment(options);
    // The worker may start running the bundle first; the monitor's debugger is enabled on its
    // thread within moments, before the handler is ever invoked.
    await env.watched;
    await env.initialize(performance.now(), 0);
    return env;
  }

  /**
   * Starts an environment ahead of its code, as pnpm dev does for a function's next hot reload:
   * the thread starts and imports `preload` (the vendor files of a hot build, which the next build
   * links to as long as its imports of installed packages stay the same; see the bundler's
   * vendorDirName), then waits. Given the code, it runs only the function's own module: for
   * ec2-monitor about 10 ms instead of 300 (230 of them importing the AWS SDK). Nothing else
   * changes: the vendor modules are the ones the code imports, evaluated before it as ES modules
   * are, under the same variables (`LAMBDA_TASK_ROOT` is set when the code is given), and the
   * Init Duration reported counts the time spent importing them ahead.
   */
  static spare(options: SpareOptions): SpareEnvironment {
    const env = new ExecutionEnvironment({ ...options, generation: -1 });
    const started = performance.now();
    let taken = false;
    // Until it is given its code, nothing else listens to the thread: an exit or an error (its heap
    // limit reached by a timer of a vendor module, say) marks it dead here, where an error event
    // nobody listened to would end the whole process.
    const onEnd = () => {
      if (!taken) env.dead = true;
    };
    env.worker.on("error", onEnd);
    env.worker.on("exit", onEnd);
    const preloadedMs = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => {
        env.worker.off("message", onMessage);
        void env.kill();
        resolve(undefined);
      }, PRELOAD_TIMEOUT_MS);
      const onMessage = (message: Message) => {
        if (message.type === "drain") {
          env.output.read(true);
          return;
        }
        clearTimeout(timer);
        env.worker.off("message", onMessage);
        resolve(message.type === "preloaded" ? performance.now() - started : undefined);
      };
      env.worker.on("message", onMessage);
      env.worker.once("exit", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    return {
      preloaded: preloadedMs.then((ms) => ms !== undefined && !env.dead),
      async start(code) {
        if (taken) throw new Error("a spare environment is started once");
        const preloadMs = await preloadedMs;
        if (preloadMs === undefined || env.dead) {
          taken = true;
          void env.kill();
          return undefined;
        }
        taken = true;
        env.generation = code.generation;
        env.traces = code.traces;
        env.output.traces = code.traces;
        const initStarted = performance.now();
        env.worker.postMessage({ taskRoot: code.taskRoot });
        await env.initialize(initStarted, preloadMs);
        return env;
      },
      async kill() {
        taken = true;
        await env.kill();
      },
    };
  }

  /**
   * Waits for the function's init (started at `started`) to end: ready, failed, timed out or dead.
   * The Init Duration is its time plus `aheadMs`, the time spent loading modules ahead of it.
   */
  private async initialize(started: number, aheadMs: number): Promise<void> {
    this.readLogsWhileBusy();
    await new Promise<void>((resolve) => {
      // On the environment's clock: a breakpoint in the module's init stops it too.
      const timer = this.timer(INIT_TIMEOUT_MS, () => {
        this.initError = {
          errorType: "Runtime.InitTimeout",
          errorMessage: `Init did not finish in ${INIT_TIMEOUT_MS / 1000} s`,
          trace: [],
        };
        void this.kill();
        resolve();
      });
      this.worker.on("message", (message: Message) => {
        // Every line the worker wrote before this message comes first.
        this.output.read(message.type === "drain");
        if (message.type === "ready" || message.type === "init-error") {
          this.initializing = false;
          this.release(timer);
          this.initDurationMs = aheadMs + performance.now() - started;
          this.peakBytes = message.type === "ready" ? message.memoryBytes : 0;
          if (message.type === "init-error") {
            const traces = this.traces;
            this.initError = traces
              ? { ...message.error, trace: message.error.trace.map((l) => traces.mapText(l)) }
              : message.error;
          }
          resolve();
        } else this.onMessage(message);
      });
      this.worker.on("error", (error) => {
        this.release(timer);
        this.onWorkerError(error);
        resolve();
      });
      this.worker.on("exit", (code) => {
        this.release(timer);
        this.onExit(code);
        resolve();
      });
    });
    this.initializing = false;
  }

  get isAlive(): boolean {
    return !this.dead && this.initError === undefined;
  }

  /** The error of a failed init, reported on the first invocation, as Lambda does. */
  get failedInit(): LambdaError | undefined {
    return this.initError;
  }

  /** Takes the lines logged during init, so they go into the first invocation's log. */
  drainLines(): string[] {
    return this.output.take();
  }

  /** Runs one invocation; never rejects. */
  invoke(eventJson: string, requestId: string, timeoutMs: number): Promise<RawOutcome> {
    if (!this.isAlive) throw new Error("invoke on a dead environment");
    return new Promise((resolve) => {
      const id = this.nextId++;
      const started = performance.now();
      const timer = this.clock.timer(timeoutMs, () => this.onTimeout(), { movesDeadline: true });
      this.pending = { resolve, id, requestId, started, timer };
      // Only what changes per invocation crosses the thread boundary; the rest of the context
      // went to the worker once, at start.
      this.clock.deadline(timeoutMs);
      this.worker.postMessage({ id, requestId, eventJson });
      this.readLogsWhileBusy();
    });
  }

  /** Arms (or re-arms) the timer that reads the log ring while an init or invocation runs long. */
  private readLogsWhileBusy(): void {
    if (this.live) {
      this.live.refresh();
      return;
    }
    this.live = setTimeout(() => {
      if (this.dead || (!this.pending && !this.initializing)) return;
      this.output.read();
      this.live?.refresh();
    }, LIVE_LOG_INTERVAL_MS);
    this.live.unref();
  }

  /** A timeout on this environment's clock: it stops while a debugger holds the environment paused. */
  timer(ms: number, onFire: () => void): PausableTimer {
    return this.clock.timer(ms, onFire);
  }

  release(timer: PausableTimer): void {
    this.clock.release(timer);
  }

  /** A debugger paused this environment's thread (at a breakpoint): its clocks stop. */
  pause(): void {
    // What it logged before the breakpoint shows now, not after the debugger lets it go.
    this.output.read();
    this.clock.pause();
  }

  /** The debugger let it run again: its clocks go on. */
  resume(): void {
    this.clock.resume();
  }

  /** The worker's thread id, as the inspector names the worker. */
  get threadId(): number {
    return this.worker.threadId;
  }

  async kill(): Promise<void> {
    this.dead = true;
    clearTimeout(this.live);
    await this.worker.terminate();
    this.clock.close();
  }

  private onMessage(message: Message): void {
    this.output.read();
    if (message.type === "result" && this.pending?.id === message.id) {
      this.peakBytes = Math.max(this.peakBytes, message.memoryBytes);
      if (message.ok && responseTooLarge(message.payloadJson ?? "")) {
        // The Runtime API refuses the response (HTTP 413); the runtime says so in the function's
        // log, and the environment stays warm.
        this.output.write(
          `${new Date().toISOString()}\t${this.pending.requestId}\tERROR\tLAMBDA_RUNTIME Failed to post handler success response. Http response code: 413.`,
        );
        this.finish({ ok: false, error: RESPONSE_TOO_LARGE, durationMs: message.durationMs, fatal: false });
        return;
      }
      this.finish({
        ok: message.ok,
        payloadJson: message.payloadJson,
        error: message.error,
        durationMs: message.durationMs,
        fatal: false,
      });
    } else if (message.type === "fatal") {
      this.fatal({ ...message.error });
    }
  }

  private finish(outcome: FinishInput): void {
    const pending = this.pending;
    if (!pending) return;
    this.release(pending.timer);
    this.pending = undefined;
    const traces = this.traces;
    const error = outcome.error;
    pending.resolve({
      ok: outcome.ok,
      payloadJson: outcome.payloadJson,
      error: error && traces ? { ...error, trace: error.trace.map((l) => traces.mapText(l)) } : error,
      durationMs: outcome.durationMs ?? performance.now() - pending.started,
      maxMemoryBytes: this.peakBytes,
      fatal: outcome.fatal,
      lines: this.drainLines(),
    });
  }

  private fatal(error: LambdaError): void {
    // The lines it wrote before it died are in the ring still.
    this.output.read();
    this.dead = true;
    clearTimeout(this.live);
    this.finish({ ok: false, error, fatal: true });
    void this.worker.terminate();
  }

  private onTimeout(): void {
    const pending = this.pending;
    if (!pending) return;
    this.output.read();
    const message = `Task timed out after ${this.options.spec.timeoutSeconds.toFixed(2)} seconds`;
    this.output.write(`${new Date().toISOString()} ${pending.requestId} ${message}`);
    this.fatal({ errorType: "Sandbox.Timedout", errorMessage: message, trace: [] });
  }

  private onWorkerError(error: Error & { code?: string }): void {
    if (error.code === "ERR_WORKER_OUT_OF_MEMORY") {
      this.peakBytes = this.options.spec.memoryMb * 1024 * 1024;
      this.fatal({
        errorType: "Runtime.OutOfMemory",
        errorMessage: `Runtime exited with error: memory limit of ${this.options.spec.memoryMb} MB exceeded`,
        trace: [],
      });
      return;
    }
    this.fatal({
      errorType: error.name || "Error",
      errorMessage: error.message,
      trace: String(error.stack ?? "").split("\n"),
    });
  }

  private onExit(code: number): void {
    this.output.read();
    clearTimeout(this.live);
    this.clock.close();
    const wasDead = this.dead;
    this.dead = true;
    if (!wasDead && this.pending) {
      this.finish({
        ok: false,
        error: {
          errorType: "Runtime.ExitError",
          errorMessage:
            code === 0
              ? "Runtime exited without providing a reason"
              : `Runtime exited with error: exit status ${code}`,
          trace: [],
        },
        fatal: true,
      });
    }
  }
}
