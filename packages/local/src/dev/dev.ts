import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TERRAFORM_INSTALL_HINT } from "@lambdaform/infra/terraform";
import {
  findExecutable,
  MOTO_INSTALL_HINT,
  MOTO_PYTHON_ENV,
  motoPythonCandidate,
  type PersistentMoto,
  startPersistentMoto,
} from "@lambdaform/moto";
import { ConsoleApi } from "../console/api.ts";
import { ConsoleAssets } from "../console/assets.ts";
import { ConsoleFeeds } from "../console/feed.ts";
import { ConsoleReads } from "../console/reads.ts";
import { Faults } from "../gateway/faults.ts";
import { Gateway, type GatewayOptions, type IamMode } from "../gateway/gateway.ts";
import type { Routing } from "../gateway/routing.ts";
import type { PauseMonitor } from "../runtime/pause-monitor.ts";
import { readStack, type StackSpec } from "../stack/read-stack.ts";
import { FunctionBuilder } from "../watch/builder.ts";
import { BACKGROUND_NICENESS } from "../watch/infra.ts";
import { functionSourceDirs, sourceMapOf } from "../watch/packages.ts";
import { forgetDeployment, interruptedApply } from "./applied.ts";
import { type ControlServices, handleControl, planCheckOf, type TriggerResult } from "./control.ts";
import { readDevState, writeDevState } from "./control-client.ts";
import { type ApplyResult, applyLocally, planLocally } from "./deploy.ts";
import { Deployments } from "./deployments.ts";
import { StackDeadLetters } from "./dlq.ts";
import { hasState, restoredSummary, setAsideOldRecording } from "./persisted.ts";
import { SharedProvider } from "./provider.ts";
import { applySummary, watchSources } from "./watch-sources.ts";

/** What tests and benchmarks change about a local stack; a user's `pnpm dev` leaves all of it alone. */
export interface DevHooks {
  /** Fire schedules on their own (default); tests turn it off and fire rules with trigger(). */
  readonly schedules?: boolean;
  /** API Gateway stage throttling (default on); benchmarks of the function path turn it off. */
  readonly apiThrottling?: boolean;
  /** Sees every call the gateway passed to moto (benchmarks time upload-to-row with it). */
  readonly observe?: GatewayOptions["observe"];
}

export interface DevOptions {
  readonly stage: string;
  /** The synthesized stack directory (`cdktf.out/stacks/lambdaform-<stage>`). */
  readonly stackDir: string;
  /**
   * Settles once `stackDir` is built (`pnpm dev` builds and synthesizes meanwhile); moto starts
   * before it, the stack is read after it. Rejected: the start stops with that error.
   */
  readonly built?: Promise<void>;
  /** Kept between runs: moto's recording, Terraform state, dead letters. */
  readonly dataDir: string;
  readonly ephemeral: boolean;
  readonly port: number;
  readonly iam: IamMode;
  /** Running EC2 instances to seed when there are none. */
  readonly instances: number;
  /** Progress lines (`[3/6] …`). */
  readonly progress: (line: string) => void;
  /** Function log lines, prefixed with the function. */
  readonly functionLog: (functionName: string, line: string) => void;
  readonly hooks?: DevHooks;
  /** `--inspect`: stops a function's timeouts while a debugger holds its environment paused. */
  readonly pauses?: PauseMonitor;
  /** `--faults`: the control API may make services unavailable and reorder S3 events. */
  readonly faults?: boolean;
  /**
   * The repository: where the functions' packages (their source maps, for debuggers and mapped
   * stack traces) and the sources hot reload watches are.
   */
  readonly root?: string;
  /** Hot reload of the sources under `root` (`pnpm dev` does; tests and benchmarks choose). */
  readonly watch?: {
    /** The package that builds each function (default: the one whose last build is the deployed zip). */
    readonly packages?: ReadonlyMap<string, string>;
    /** Sources every function bundles (default `packages/shared/src`). */
    readonly shared?: ReadonlyArray<string>;
    /** Infra reload: on unless `false`; the watched directory and the synth can be replaced. */
    readonly infra?: false | { readonly dir?: string; readonly synth?: () => Promise<string> };
  };
  /**
   * The nice value of what pnpm dev does in the background once it is ready: an infra edit's
   * synth, terraform and provider (default {@link BACKGROUND_NICENESS}; 0 runs them as usual).
   * The e2e tests pass 0: their suites run two at a time, and the other suite is not a person's
   * foreground work that the apply should yield to.
   */
  readonly backgroundNiceness?: number;
}

/** A running local stack. */
export interface DevStack {
  readonly gateway: Gateway;
  readonly moto: PersistentMoto;
  /** What the start's apply did. */
  readonly apply: ApplyResult;
  readonly dataDir: string;
  /** What is deployed now: the routing the gateway uses, swapped whole by {@link redeploy}. */
  current(): Routing;
  /** Applies another synthesized copy of the stack (e.g. a changed policy) and switches to what it deployed. */
  redeploy(stackDir: string, options?: { readonly refresh?: boolean }): Promise<ApplyResult>;
  /** A real terraform plan of another synthesized copy of the stack against what is deployed. */
  plan(stackDir: string): Promise<Record<string, unknown>>;
  /** Fires an EventBridge rule now and waits for its targets to finish. */
  trigger(ruleName: string): Promise<TriggerResult>;
  /** Evaluates the stack's alarms now (they are evaluated every 10 s when schedules run). */
  evaluateAlarms(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Settles when the stack stopped on its own, with what to tell the user: moto exited without
   * being asked to (killed, out of memory). Everything else was stopped already; its state is kept.
   */
  readonly failed: Promise<string>;
}

const STEPS = 6;

/** Brings the whole system up on this machine: moto, the gateway, terraform apply, the runtime, schedules. */
export async function startDev(options: DevOptions): Promise<DevStack> {
  const step = (n: number, text: string) => options.progress(`[${n}/${STEPS}] ${text}`);
  const hooks = options.hooks ?? {};
  const started = performance.now();

  step(1, "checking prerequisites");
  // moto's start says what to install when this Python has no moto (probing first cost 0.8 s).
  const python = motoPythonCandidate();
  if (!python)
    throw new Error(
      `no Python 3 was found for moto's server: ${MOTO_INSTALL_HINT} (or set ${MOTO_PYTHON_ENV} to the Python that has it).`,
    );
  if (!findExecutable("terraform"))
    throw new Error(`terraform was not found on PATH: ${TERRAFORM_INSTALL_HINT}.`);

  const running = readDevState(options.dataDir);
  if (running && running.pid !== process.pid)
    throw new Error(
      `pnpm dev already runs for this stage (pid ${running.pid}, http://127.0.0.1:${running.port}): stop it first (Ctrl-C in its terminal), or give this one another --data-dir.`,
    );
  const dataDir = options.ephemeral ? mkdtempSync(join(tmpdir(), "lambdaform-dev-")) : options.dataDir;
  mkdirSync(dataDir, { recursive: true });
  setAsideOldRecording(dataDir, options.progress);
  const stateDir = join(dataDir, "moto");
  const restoring = hasState(stateDir);

  // Hot reload's bundles, each built once now, beside moto's start and the apply: a first save
  // finds its package's bundle ready to build again.
  const builder = options.watch && options.root ? new FunctionBuilder() : undefined;
  const warmed =
    builder && options.root
      ? builder.prepare(functionSourceDirs(options.root), join(dataDir, "hot"))
      : undefined;
  // The EC2 client takes 0.8 s to load: loaded while moto starts, not after it.
  const seeding = import("./seed.ts");
  seeding.catch(() => {});
  step(2, restoring ? "starting moto and restoring its state from the data directory" : "starting moto");
  const moto = await startPersistentMoto(python, { stateDir, logFile: join(dataDir, "moto.log") });
  if (restoring) options.progress(`      ${restoredSummary(moto)}`);
  const cleanups: Array<() => Promise<void> | void> = [() => moto.stop(), () => builder?.close()];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      if (options.ephemeral) rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  // Without moto nothing answers: stop the rest, not serve errors. Its state is on disk up to
  // the last acknowledged write, and the next start restores it.
  const failed = new Promise<string>((resolve) =>
    moto.onUnexpectedExit((code, log) => {
      const reason = `moto stopped unexpectedly (exit ${code ?? "by signal"}); the stack stopped with it. Its state up to the last acknowledged write is kept in ${stateDir}: start pnpm dev again. moto's last lines:\n${log.split("\n").slice(-8).join("\n")}`;
      options.progress(reason);
      void stopAll().then(() => resolve(reason));
    }),
  );
  try {
    await options.built;
    const stack = readStack(options.stackDir);
    step(3, `starting the gateway on 127.0.0.1:${options.port}`);
    const faults = options.faults ? new Faults() : undefined;
    let deployed: Deployments | undefined;
    const gateway = new Gateway({
      motoEndpoint: moto.endpoint,
      iam: options.iam,
      observe: hooks.observe,
      log: (line) => options.progress(line),
      control: (request, routing) => handleControl(request, routing, services),
      ...(faults ? { faults } : {}),
    });
    const deadLetters = new StackDeadLetters(gateway.motoLink.clientConfig(stack.region));
    const feeds = new ConsoleFeeds();
    const services: ControlServices = {
      deadLetters,
      console: new ConsoleApi({
        stage: options.stage,
        iam: options.iam,
        endpoint: () => gateway.endpoint,
        feeds,
        reads: new ConsoleReads(gateway.motoLink.clientConfig(stack.region), () => gateway.endpoint),
        assets: new ConsoleAssets(),
        deadLetters,
        nextFire: (rule) => deployed?.nextFire(rule),
        flushMetrics: () => deployed?.flushMetrics() ?? Promise.resolve(),
      }),
      ...(faults ? { faults } : {}),
      plan: async () => {
        if (!deployed) throw new Error("nothing is deployed yet");
        return planCheckOf(await plan(deployed.current().runtime.stack.dir));
      },
      queued: () => deployed?.queued ?? 0,
    };
    await gateway.listen(options.port);
    cleanups.push(() => gateway.close());

    step(4, "terraform apply of the synthesized stack (provider pointed at the gateway)");
    const provider = new SharedProvider();
    cleanups.push(() => provider.stop());
    const applyStack = async (synthesized: StackSpec, mayReuse: boolean, refresh = true, niceness?: number) =>
      applyLocally(
        synthesized,
        join(dataDir, "terraform"),
        gateway.endpoint,
        (line) => options.progress(`      ${line}`),
        // Parallel is safe for a kept data directory: the gateway hands moto one request at a time,
        // so the recording is the order moto drew its ids in, and a replay recreates them.
        {
          parallelism: 10,
          mayReuse,
          refresh,
          provider,
          motoStateId: await moto.stateId(),
          moto: gateway.motoLink.clientConfig(stack.region),
          niceness,
        },
      );
    // A restored moto holds what the last apply left; when neither the stack, the state nor
    // moto's history changed since, and the journal replayed exactly, the apply is skipped.
    if (moto.restored.mismatches > 0)
      options.progress(
        `      ${moto.restored.mismatches} journal entries answered otherwise on replay (see moto.log): applying the stack again`,
      );
    const interrupted = interruptedApply(join(dataDir, "terraform"), stack);
    if (interrupted?.firstApply) {
      // Killed in the stack's very first apply: it was never up, so nothing of the user's exists
      // yet; moto may hold what the killed apply created and Terraform never recorded.
      options.progress(
        "      the last pnpm dev was killed during the stack's first terraform apply: deploying it afresh (moto emptied, that apply's state dropped)",
      );
      await moto.reset();
      forgetDeployment(join(dataDir, "terraform"), stack);
    } else if (interrupted)
      options.progress(
        "      the last pnpm dev was killed during a terraform apply: applying again (a resource that apply created and Terraform never recorded makes it fail with AlreadyExists; then move the data directory aside to start the stage afresh)",
      );
    const apply = await applyStack(stack, restoring && !interrupted && moto.restored.mismatches === 0);
    for (const notice of apply.notices) options.progress(`notice: ${notice}`);
    options.progress(`      ${applySummary(apply)}`);

    step(5, "starting the Lambda runtime with the deployed configuration");
    const deployments = new Deployments({
      dataDir,
      gateway,
      region: stack.region,
      apiThrottling: hooks.apiThrottling ?? true,
      schedules: hooks.schedules !== false,
      sourceMap: options.root ? sourceMapOf(options.root) : undefined,
      progress: options.progress,
      functionLog: options.functionLog,
      pauses: options.pauses,
      feeds,
    });
    cleanups.push(() => deployments.close());
    deployed = deployments;
    deployments.use(stack, apply);

    step(6, "seeding EC2 instances and arming the schedules");
    await (await seeding).seedInstances(gateway.motoLink.clientConfig(stack.region), options.instances);
    // Where `pnpm trigger` finds the running stack (in the kept data directory, even when ephemeral).
    cleanups.push(writeDevState(options.dataDir, { port: gateway.port, pid: process.pid }));

    /** The same stack, synthesized elsewhere (e.g. a changed copy). */
    const sameStackAt = (otherStackDir: string) => {
      const other = readStack(otherStackDir);
      if (other.name !== stack.name)
        throw new Error(`${otherStackDir} holds stack ${other.name}, not ${stack.name}`);
      return other;
    };
    const redeploy = async (otherStackDir: string, redeployOptions: { readonly refresh?: boolean } = {}) => {
      const other = sameStackAt(otherStackDir);
      // Once the stack is up, an apply is background work: terraform and the provider yield the
      // CPU to the API, the saves and the console the user is busy with.
      const niceness = options.backgroundNiceness ?? BACKGROUND_NICENESS;
      if (niceness > 0) provider.background(niceness);
      const result = await applyStack(other, false, redeployOptions.refresh ?? true, niceness || undefined);
      deployments.use(other, result);
      return result;
    };
    if (options.watch && options.root && builder)
      cleanups.push(
        ...(await watchSources(
          options.root,
          options.stage,
          options.watch,
          stack,
          dataDir,
          deployments,
          redeploy,
          options.progress,
          builder,
          warmed,
          options.backgroundNiceness ?? BACKGROUND_NICENESS,
        )),
      );
    options.progress(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // A function declaration: the control API's plan (above) refers to it.
    async function plan(otherStackDir: string) {
      return planLocally(sameStackAt(otherStackDir), join(dataDir, "terraform"), gateway.endpoint, provider);
    }
    return {
      gateway,
      moto,
      apply,
      dataDir,
      current: () => deployments.current(),
      trigger: (ruleName) => deployments.trigger(ruleName),
      evaluateAlarms: () => deployments.evaluateAlarms(),
      redeploy,
      plan,
      stop: stopAll,
      failed,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
