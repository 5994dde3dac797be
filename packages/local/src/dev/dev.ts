import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TERRAFORM_INSTALL_HINT } from "@lambdaform/infra";
import {
  findExecutable,
  findMotoServer,
  MOTO_INSTALL_HINT,
  type MotoServer,
  startMoto,
} from "@lambdaform/moto";
import { Gateway, type GatewayOptions, type IamMode } from "../gateway/gateway.ts";
import { buildRouting, type Routing } from "../gateway/routing.ts";
import { functionCredentials } from "../identity.ts";
import { LocalRuntime } from "../runtime/local-runtime.ts";
import { Scheduler } from "../sources/schedule/scheduler.ts";
import { readStack, type StackSpec } from "../stack/read-stack.ts";
import { fireRule, handleControl, type TriggerResult, writeDevState } from "./control.ts";
import { type ApplyResult, applyLocally, planLocally, readState } from "./deploy.ts";
import { readDeployed } from "./deployed.ts";
import { seedInstances } from "./seed.ts";
import { LogShipper, SqsDestination } from "./sinks.ts";

/** moto's ids come from a seeded generator, so replaying the recording recreates the same ids. */
const MOTO_SEED = 2026;

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
}

/** A running local stack. */
export interface DevStack {
  readonly gateway: Gateway;
  readonly moto: MotoServer;
  /** What the start's apply did. */
  readonly apply: ApplyResult;
  readonly dataDir: string;
  /** What is deployed now: the routing the gateway uses, swapped whole by {@link redeploy}. */
  current(): Routing;
  /** Applies another synthesized copy of the stack (e.g. a changed policy) and switches to what it deployed. */
  redeploy(stackDir: string): Promise<ApplyResult>;
  /** A real terraform plan of another synthesized copy of the stack against what is deployed. */
  plan(stackDir: string): Promise<Record<string, unknown>>;
  /** Fires an EventBridge rule now and waits for its targets to finish. */
  trigger(ruleName: string): Promise<TriggerResult>;
  stop(): Promise<void>;
}

const STEPS = 6;

/** Brings the whole system up on this machine: moto, the gateway, terraform apply, the runtime, schedules. */
export async function startDev(options: DevOptions): Promise<DevStack> {
  const step = (n: number, text: string) => options.progress(`[${n}/${STEPS}] ${text}`);
  const hooks = options.hooks ?? {};
  const started = performance.now();

  step(1, "checking prerequisites");
  const motoServer = findMotoServer();
  if (!motoServer)
    throw new Error(`moto_server was not found on PATH: ${MOTO_INSTALL_HINT} (Python 3 is needed).`);
  if (!findExecutable("terraform"))
    throw new Error(`terraform was not found on PATH: ${TERRAFORM_INSTALL_HINT}.`);
  const stack = readStack(options.stackDir);

  const dataDir = options.ephemeral ? mkdtempSync(join(tmpdir(), "lambdaform-dev-")) : options.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const recordingFile = join(dataDir, "moto-recording.jsonl");
  const restoring = !options.ephemeral && existsSync(recordingFile);

  step(2, restoring ? "starting moto and restoring its state from the data directory" : "starting moto");
  const moto = await startMoto(motoServer, {
    recordingFile: options.ephemeral ? undefined : recordingFile,
    logFile: join(dataDir, "moto.log"),
  });
  const cleanups: Array<() => Promise<void> | void> = [() => moto.stop()];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (options.ephemeral) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await moto.seed(MOTO_SEED);
    if (restoring) await moto.replay();

    step(3, `starting the gateway on 127.0.0.1:${options.port}`);
    const gateway = new Gateway({
      motoEndpoint: moto.endpoint,
      iam: options.iam,
      observe: hooks.observe,
      log: (line) => options.progress(line),
      control: (path, _body, routing) => handleControl(path, routing),
    });
    await gateway.listen(options.port);
    cleanups.push(() => gateway.close());

    step(4, "terraform apply of the synthesized stack (provider pointed at the gateway)");
    const applyStack = (synthesized: StackSpec, mayReuse: boolean) =>
      applyLocally(
        synthesized,
        join(dataDir, "terraform"),
        gateway.endpoint,
        (line) => options.progress(`      ${line}`),
        // Parallel is safe for a kept data directory: the gateway hands moto one request at a time,
        // so the recording is the order moto drew its ids in, and a replay recreates them.
        { parallelism: 10, mayReuse },
      );
    // A restored moto holds what the last apply left; when neither the stack nor the state changed
    // since, the apply is skipped.
    const apply = await applyStack(stack, restoring);
    for (const notice of apply.notices) options.progress(`notice: ${notice}`);
    options.progress(`      ${applySummary(apply)}`);

    step(5, "starting the Lambda runtime with the deployed configuration");
    const motoClients = gateway.motoLink.clientConfig(stack.region);
    const logs = new LogShipper(motoClients, (message) => options.progress(message));
    const destination = new SqsDestination(motoClients, gateway.endpoint);
    const runtimes = new Set<LocalRuntime>();
    cleanups.push(async () => {
      await Promise.all([...runtimes].map((r) => r.close()));
      await logs.close();
    });
    /** The routing of what a stack's apply left in Terraform's state, with a runtime of its own. */
    const route = async (deployedStack: StackSpec, result: ApplyResult): Promise<Routing> => {
      const deployed = readDeployed(readState(result.workdir, deployedStack));
      const runtime = new LocalRuntime(deployedStack, {
        dataDir,
        accountId: deployed.accountId,
        extraEnv: (spec) => {
          const credentials = functionCredentials(spec.name);
          return {
            AWS_ENDPOINT_URL: gateway.endpoint,
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          };
        },
        destination,
        onLog: (line, meta) => {
          logs.add(meta.functionName, meta.logStreamName, line);
          options.functionLog(meta.functionName, line);
        },
      });
      runtimes.add(runtime);
      return buildRouting(deployed, runtime, { apiThrottling: hooks.apiThrottling ?? true });
    };
    let routing = await route(stack, apply);
    gateway.use(routing);

    step(6, "seeding EC2 instances and arming the schedules");
    await seedInstances(motoClients, options.instances);
    const scheduler = new Scheduler();
    cleanups.push(() => scheduler.stop());
    const arm = (current: Routing) => {
      if (hooks.schedules === false) return;
      scheduler.replace(
        current.deployed.rules.flatMap((rule) =>
          rule.schedule
            ? [
                {
                  name: rule.name,
                  expression: rule.schedule,
                  fire: () =>
                    void fireRule(routing, rule.name).catch((e: Error) =>
                      options.progress(`rule ${rule.name}: ${e.message}`),
                    ),
                },
              ]
            : [],
        ),
        (message) => options.progress(message),
      );
    };
    arm(routing);
    // Where `pnpm trigger` finds the running stack (in the kept data directory, even when ephemeral).
    cleanups.push(writeDevState(options.dataDir, { port: gateway.port, pid: process.pid }));
    options.progress(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    /** The same stack, synthesized elsewhere (e.g. a changed copy). */
    const sameStackAt = (otherStackDir: string) => {
      const other = readStack(otherStackDir);
      if (other.name !== stack.name)
        throw new Error(`${otherStackDir} holds stack ${other.name}, not ${stack.name}`);
      return other;
    };
    const redeploy = async (otherStackDir: string) => {
      const other = sameStackAt(otherStackDir);
      const result = await applyStack(other, false);
      const previous = routing;
      routing = await route(other, result);
      gateway.use(routing);
      arm(routing);
      // Invocations already running finish on the runtime they started on; then it goes.
      void previous.runtime
        .drain()
        .then(() => previous.runtime.close())
        .then(() => runtimes.delete(previous.runtime));
      return result;
    };
    const plan = async (otherStackDir: string) =>
      planLocally(sameStackAt(otherStackDir), join(dataDir, "terraform"), gateway.endpoint);
    return {
      gateway,
      moto,
      apply,
      dataDir,
      current: () => routing,
      trigger: (ruleName) => fireRule(routing, ruleName),
      redeploy,
      plan,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** One line for what an apply did. */
export function applySummary(apply: ApplyResult): string {
  if (apply.skipped) return "unchanged since the last apply (stack and state): terraform apply skipped";
  const { add, change, destroy } = apply.changes;
  return `${add} added, ${change} changed, ${destroy} destroyed`;
}
