/**
 * A function's execution environments, as its runtime starts and uses them: the variables and the
 * context's fixed part Lambda gives each, one stack-trace mapper per code, and one invocation in one
 * environment framed as Lambda logs it (START, the function's lines, END and REPORT).
 */
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { staticVendorImports } from "@lambdaform/bundler/vendor-imports";
import type { FunctionSpec } from "../stack/read-stack.ts";
import { ExecutionEnvironment, type SpareEnvironment } from "./environment.ts";
import { newLogStreamName } from "./lambda-limits.ts";
import type { PauseMonitor } from "./pause-monitor.ts";
import type { Code } from "./pool.ts";
import { type FramedOutcome, frameInvocation } from "./report.ts";
import { StackTraceMapper } from "./source-maps.ts";
import type { InvocationResult, LogSink } from "./types.ts";

export interface FunctionEnvironmentsOptions {
  readonly spec: FunctionSpec;
  readonly arn: string;
  readonly region: string;
  /** Variables added to the function's own: endpoints and credentials. */
  readonly extraEnv: Readonly<Record<string, string>>;
  readonly onLog?: LogSink;
  readonly pauses?: PauseMonitor;
}

/**
 * The vendor directory a hot build links to (`<taskRoot>/vendor`, see the bundler's hotBundle), as
 * its real path: the key a spare environment is kept under. Undefined for a deployed zip's code.
 */
export function vendorDirOf(taskRoot: string): string | undefined {
  const link = join(taskRoot, "vendor");
  try {
    return lstatSync(link).isSymbolicLink() ? realpathSync(link) : undefined;
  } catch {
    return undefined;
  }
}

/** Stack-trace mappers kept per function: its codes of the last few saves. */
const KEPT_MAPPERS = 4;

export class FunctionEnvironments {
  /**
   * An environment started ahead for the next hot build: where that build goes (`taskRoot`), the
   * vendor directory it is expected to link to, and the vendor files it is expected to import, in
   * order. It is used only when the build matches all three.
   */
  private spare?: {
    readonly taskRoot: string;
    readonly vendorDir: string;
    readonly imports: string;
    readonly env: SpareEnvironment;
  };
  private closed = false;

  constructor(private readonly options: FunctionEnvironmentsOptions) {}

  /**
   * Starts a spare environment for the build after `taskRoot`, when `taskRoot` is a hot build
   * (`<builds>/<n>`, whose next is `<builds>/<n+1>`, see the watcher): the vendor files its bundle
   * imports statically, in order, are imported ahead, under the variables the next build's
   * environment gets (see {@link ExecutionEnvironment.spare}). The next build links to the same
   * files as long as the function's imports of installed packages stay the same. Keeps the spare
   * it has for the same; none under `--inspect` (a debugger would stop at its vendor code). Settles
   * once the spare imported its files, or could not; never throws.
   */
  async prepareSpare(taskRoot: string): Promise<void> {
    if (this.closed || this.options.pauses?.watches(this.options.spec)) return;
    const n = basename(taskRoot);
    const vendorDir = vendorDirOf(taskRoot);
    if (!/^\d+$/.test(n) || !vendorDir) return;
    const next = join(dirname(taskRoot), String(Number(n) + 1));
    let imports: string[];
    try {
      imports = staticVendorImports(readFileSync(join(taskRoot, "index.mjs"), "utf8"));
    } catch {
      return;
    }
    const key = imports.join("\n");
    const current = this.spare;
    if (current?.taskRoot === next && current.vendorDir === vendorDir && current.imports === key) {
      await current.env.preloaded;
      return;
    }
    this.spare = undefined;
    void current?.env.kill();
    const logStreamName = newLogStreamName();
    let env: SpareEnvironment;
    try {
      env = ExecutionEnvironment.spare({
        ...this.environmentOptions(next, logStreamName),
        preload: imports.map((spec) => join(vendorDir, basename(spec))),
      });
    } catch {
      return;
    }
    this.spare = { taskRoot: next, vendorDir, imports: key, env };
    await env.preloaded;
  }

  /** The spare environment, when `code` is the build it was started for. */
  private takeSpare(code: Code): SpareEnvironment | undefined {
    const spare = this.spare;
    if (!spare || spare.taskRoot !== code.taskRoot || spare.vendorDir !== vendorDirOf(code.taskRoot))
      return undefined;
    let imports: string;
    try {
      imports = staticVendorImports(readFileSync(join(code.taskRoot, "index.mjs"), "utf8")).join("\n");
    } catch {
      return undefined;
    }
    if (imports !== spare.imports) return undefined;
    this.spare = undefined;
    return spare.env;
  }

  /** Ends the spare environment, if any. */
  close(): Promise<void> {
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    return spare ? spare.env.kill() : Promise.resolve();
  }

  private environmentVariables(taskRoot: string, logStreamName: string): Record<string, string> {
    const { spec, region } = this.options;
    return {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      ...spec.environment,
      ...this.options.extraEnv,
      // Lambda's reserved variables: the function's own configuration cannot change them.
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: taskRoot,
      _HANDLER: spec.handler,
    };
  }

  /** What every environment of this function starts with, but its code. */
  private environmentOptions(taskRoot: string, logStreamName: string) {
    return {
      spec: this.options.spec,
      env: this.environmentVariables(taskRoot, logStreamName),
      logStreamName,
      context: {
        functionName: this.options.spec.name,
        functionVersion: "$LATEST",
        invokedFunctionArn: this.options.arn,
        memoryLimitInMB: String(this.options.spec.memoryMb),
        logGroupName: `/aws/lambda/${this.options.spec.name}`,
        logStreamName,
      },
      onLog: this.options.onLog,
      pauses: this.options.pauses?.watches(this.options.spec) ? this.options.pauses : undefined,
    };
  }

  /**
   * Starts an environment running `code`: the function's variables and the context's fixed part.
   * `staged` (a hot reload's first environment) takes the spare environment started for this code.
   */
  async start(code: Code, staged = false): Promise<ExecutionEnvironment> {
    const spare = staged ? this.takeSpare(code) : undefined;
    if (spare) {
      const env = await spare.start({
        taskRoot: code.taskRoot,
        generation: code.generation,
        traces: this.traces(code.taskRoot),
      });
      if (env) return env;
    }
    const logStreamName = newLogStreamName();
    return ExecutionEnvironment.start({
      ...this.environmentOptions(code.taskRoot, logStreamName),
      taskRoot: code.taskRoot,
      generation: code.generation,
      traces: this.traces(code.taskRoot),
    });
  }

  private readonly mappers = new Map<string, StackTraceMapper>();

  /**
   * One mapper per code, its source map read once; those of the last few codes only (a hot reload
   * brings new code at every save, and an environment of older code keeps its own mapper).
   */
  private traces(taskRoot: string): StackTraceMapper {
    let mapper = this.mappers.get(taskRoot);
    if (!mapper) {
      mapper = new StackTraceMapper(taskRoot);
      this.mappers.set(taskRoot, mapper);
      for (const old of this.mappers.keys()) {
        if (this.mappers.size <= KEPT_MAPPERS) break;
        this.mappers.delete(old);
      }
    }
    return mapper;
  }

  private frame(
    requestId: string,
    env: ExecutionEnvironment,
    cold: boolean,
    outcome: FramedOutcome,
  ): InvocationResult {
    const result = frameInvocation({
      requestId,
      functionName: this.options.spec.name,
      memoryMb: this.options.spec.memoryMb,
      initDurationMs: cold ? env.initDurationMs : undefined,
      outcome,
    });
    // START and the function's own lines were logged as they happened; END and REPORT close it.
    const onLog = this.options.onLog;
    if (onLog) {
      const { logs } = result;
      onLog(logs[logs.length - 2] ?? "", env.logMeta);
      onLog(logs[logs.length - 1] ?? "", env.logMeta);
    }
    return result;
  }

  async run(
    env: ExecutionEnvironment,
    cold: boolean,
    requestId: string,
    eventJson: string,
  ): Promise<InvocationResult> {
    const meta = env.logMeta;
    const initLines = cold ? env.drainLines() : [];
    this.options.onLog?.(`START RequestId: ${requestId} Version: $LATEST`, meta);
    const initError = env.failedInit;
    if (initError) {
      await env.kill();
      return this.frame(requestId, env, cold, {
        ok: false,
        error: initError,
        durationMs: 0,
        maxMemoryBytes: 0,
        fatal: true,
        lines: initLines,
      });
    }
    const outcome = await env.invoke(eventJson, requestId, this.options.spec.timeoutSeconds * 1000);
    return this.frame(
      requestId,
      env,
      cold,
      initLines.length > 0 ? { ...outcome, lines: [...initLines, ...outcome.lines] } : outcome,
    );
  }
}
