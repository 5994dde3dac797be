import { join } from "node:path";
import type { ConsoleFeeds } from "../console/feed.ts";
import type { Gateway } from "../gateway/gateway.ts";
import { buildRouting, type Routing } from "../gateway/routing.ts";
import { functionCredentials } from "../identity.ts";
import { EventQueue } from "../runtime/event-queue.ts";
import { LocalRuntime } from "../runtime/local-runtime.ts";
import type { PauseMonitor } from "../runtime/pause-monitor.ts";
import type { InvocationReport } from "../runtime/types.ts";
import { Scheduler } from "../sources/schedule/scheduler.ts";
import type { StackSpec } from "../stack/read-stack.ts";
import { AlarmEvaluator } from "./alarms.ts";
import { fireRule, type TriggerResult } from "./control.ts";
import type { ApplyResult } from "./deploy.ts";
import { readState } from "./deploy.ts";
import { readDeployed } from "./deployed.ts";
import { LambdaMetrics } from "./metrics.ts";
import { LogShipper, SqsDestination } from "./sinks.ts";

export interface DeploymentsOptions {
  readonly dataDir: string;
  readonly gateway: Gateway;
  readonly region: string;
  /** Stage throttling of the API (off only for benchmarks of the function path). */
  readonly apiThrottling: boolean;
  /** Fire schedules on their own (tests fire rules with trigger()). */
  readonly schedules: boolean;
  /** Where a function's bundle has its source map. */
  readonly sourceMap?: (spec: { readonly sourceCodeHash: string }) => string | undefined;
  readonly progress: (line: string) => void;
  readonly functionLog: (functionName: string, line: string) => void;
  /** Under `--inspect`: stops an environment's clocks while a debugger holds it paused. */
  readonly pauses?: PauseMonitor;
  /** What the console shows of this process: invocations, log lines, alarm changes. */
  readonly feeds?: ConsoleFeeds;
}

/** Code a hot reload swapped in, and the zip it replaced (it stands until that zip changes). */
interface HotCode {
  readonly taskRoot: string;
  readonly replaces: string;
}

/**
 * What is deployed now, and the swaps from one deployment to the next. Each deployment gets a
 * routing of its own (what Terraform's state says, a runtime for the stack's functions, the API)
 * that the gateway swaps in whole; invocations already running finish on the runtime they started
 * on, which then closes. Logs, the on-failure destination and the schedules carry across.
 */
export class Deployments {
  private routing?: Routing;
  private readonly runtimes = new Set<LocalRuntime>();
  private readonly logs: LogShipper;
  private readonly destination: SqsDestination;
  /** AWS/Lambda's async metrics (AsyncEventsReceived, AsyncEventsDropped, …), published to moto. */
  private readonly metrics: LambdaMetrics;
  private readonly scheduler = new Scheduler();
  /** The stack's alarms, evaluated here against moto's metrics (moto never evaluates one). */
  private readonly alarms: AlarmEvaluator;
  private readonly hot = new Map<string, HotCode>();
  /** Each function's latest hot build (or warm-up build): what its spare environment is made from. */
  private readonly built = new Map<string, string>();
  /** Async events, on disk from their acceptance to their end: nothing acknowledged is lost to a kill. */
  private readonly queue: EventQueue;

  constructor(private readonly options: DeploymentsOptions) {
    this.queue = new EventQueue(join(options.dataDir, "async-events"));
    const moto = options.gateway.motoLink.clientConfig(options.region);
    this.logs = new LogShipper(moto, (message) => options.progress(message));
    this.destination = new SqsDestination(moto, options.gateway.endpoint);
    this.metrics = new LambdaMetrics(moto, (message) => options.progress(message));
    this.alarms = new AlarmEvaluator(moto, [], {
      onError: (message) => options.progress(`warning: ${message}`),
      onChange: (name, from, to, reason) => {
        options.progress(`alarm ${name}: ${from} → ${to}: ${reason}`);
        options.feeds?.alarms.push({ alarmName: name, from, to, reason, time: Date.now() });
      },
    });
  }

  /** Asynchronous events accepted and not yet ended. */
  get queued(): number {
    return this.queue.running;
  }

  /** The routing the gateway uses now. */
  current(): Routing {
    if (!this.routing) throw new Error("nothing is deployed yet");
    return this.routing;
  }

  /**
   * Routes to what an apply of `stack` left in Terraform's state. Hot-reloaded code stays in place
   * for every function whose zip the stack did not change.
   */
  use(stack: StackSpec, apply: ApplyResult): Routing {
    const deployed = readDeployed(readState(apply.workdir, stack));
    const runtime = this.runtime(stack, deployed.accountId);
    for (const fn of stack.functions) {
      const hot = this.hot.get(fn.name);
      if (hot?.replaces === fn.sourceCodeHash) void runtime.reload(fn.name, hot.taskRoot);
      else this.hot.delete(fn.name);
      // Its spares, from the latest builds (the first deployment's, while the stack starts: not
      // at the first saves, which come right after it is ready).
      const built = this.built.get(fn.name);
      if (built) runtime.prepareSpare(fn.name, built);
    }
    const previous = this.routing;
    this.routing = buildRouting(deployed, runtime, {
      apiThrottling: this.options.apiThrottling,
      onApiRequest: (request) => this.metrics.addApiRequest(request),
    });
    this.options.gateway.use(this.routing);
    this.arm(this.routing);
    this.alarms.use(deployed.alarms);
    // With the schedules: tests that fire rules themselves evaluate alarms themselves too.
    if (this.options.schedules) this.alarms.start();
    if (previous) {
      const old = previous.runtime;
      void old
        .drain()
        .then(() => old.close())
        .finally(() => {
          this.runtimes.delete(old);
          // Whatever the closed runtime left queued runs on what is deployed now.
          this.resume(this.current().runtime, false);
        });
    } else this.resume(runtime, true);
    return this.routing;
  }

  /**
   * Swaps one function's code (a hot reload) in the current deployment once one environment of
   * the new code is initialized: the invocations meanwhile run the code it replaces, and the next
   * one after gets that environment. Resolves once swapped.
   */
  reload(functionName: string, taskRoot: string): Promise<void> {
    const { runtime } = this.current();
    this.built.set(functionName, taskRoot);
    const replaces = runtime.stack.functions.find((f) => f.name === functionName)?.sourceCodeHash ?? "";
    this.hot.set(functionName, { taskRoot, replaces });
    return runtime.reload(functionName, taskRoot, { whenWarm: true });
  }

  /**
   * A hot build of a function made ahead of its first save (pnpm dev's warm-up): its next build
   * gets a spare environment that imported the same vendor files (see FunctionRuntime.prepareSpare).
   */
  prepareSpare(functionName: string, taskRoot: string): void {
    this.built.set(functionName, taskRoot);
    this.routing?.runtime.prepareSpare(functionName, taskRoot);
  }

  trigger(ruleName: string): Promise<TriggerResult> {
    return fireRule(this.current(), ruleName);
  }

  /** When a rule fires next on its own (undefined when schedules are off). */
  nextFire(ruleName: string): Date | undefined {
    return this.scheduler.next(ruleName);
  }

  /** Sends the metrics waiting to moto now. */
  flushMetrics(): Promise<void> {
    return this.metrics.flush();
  }

  /** Evaluates every alarm of the stack now (sends the metrics waiting first). */
  async evaluateAlarms(): Promise<void> {
    await this.metrics.flush();
    await this.alarms.tick();
  }

  async close(): Promise<void> {
    this.scheduler.stop();
    await this.alarms.stop();
    await Promise.all([...this.runtimes].map((r) => r.close()));
    await this.logs.close();
    await this.metrics.close();
  }

  private runtime(stack: StackSpec, accountId: string): LocalRuntime {
    const { gateway, dataDir, sourceMap, functionLog, feeds } = this.options;
    const runtime = new LocalRuntime(stack, {
      dataDir,
      accountId,
      extraEnv: (spec) => {
        const credentials = functionCredentials(spec.name);
        return {
          AWS_ENDPOINT_URL: gateway.endpoint,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        };
      },
      destination: this.destination,
      queue: this.queue,
      onEvent: (event) => {
        this.metrics.add(event);
        if (event.type === "notice") this.options.progress(event.message);
      },
      sourceMap,
      pauses: this.options.pauses,
      onLog: (line, meta) => {
        this.logs.add(meta.functionName, meta.logStreamName, line);
        feeds?.logs.add(meta.functionName, meta.logStreamName, line);
        functionLog(meta.functionName, line);
      },
      ...(feeds ? { onInvocation: (report: InvocationReport) => feeds.invocation(report) } : {}),
    });
    this.runtimes.add(runtime);
    return runtime.prepare();
  }

  /** Runs again the queued events nobody runs: at the start, those a killed pnpm dev left. */
  private resume(runtime: LocalRuntime, atStart: boolean): void {
    const { resumed, kept, unreadable } = runtime.resumeQueued();
    const { progress } = this.options;
    if (resumed > 0)
      progress(
        atStart
          ? `      resumed ${resumed} asynchronous event(s) that the last pnpm dev had accepted but not finished (${this.queue.dir})`
          : `      resumed ${resumed} asynchronous event(s) the previous deployment left queued`,
      );
    if (kept > 0 && atStart)
      progress(
        `      kept ${kept} queued event(s) of functions this stack no longer deploys in ${this.queue.dir}`,
      );
    if (atStart)
      for (const u of unreadable)
        progress(`warning: skipped ${u.file}: ${u.reason}. Fix its JSON or move it out of the queue.`);
  }

  /** Fires the deployment's schedules from now on, in place of the last one's. */
  private arm(routing: Routing): void {
    if (!this.options.schedules) return;
    const log = (message: string) => this.options.progress(message);
    this.scheduler.replace(
      routing.deployed.rules.flatMap((rule) =>
        rule.schedule
          ? [
              {
                name: rule.name,
                expression: rule.schedule,
                fire: () =>
                  void this.trigger(rule.name).catch((e: Error) => log(`rule ${rule.name}: ${e.message}`)),
              },
            ]
          : [],
      ),
      log,
    );
  }
}
