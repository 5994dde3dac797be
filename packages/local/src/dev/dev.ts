import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { awsProviderVersion, listStacks, TERRAFORM_INSTALL_HINT } from "@lambdaform/infra";
import {
  findExecutable,
  findMotoServer,
  MOTO_INSTALL_HINT,
  type MotoServer,
  startMoto,
} from "@lambdaform/moto";
import { scheduledEvent } from "../events/scheduled.ts";
import { type LocalRuntime, LocalRuntime as Runtime } from "../runtime/local-runtime.ts";
import { readStack } from "../stack/read-stack.ts";
import type { Reply } from "./api-gateway.ts";
import { type ApplyResult, applyLocally, planLocally, readState } from "./deploy.ts";
import { type Deployed, readDeployed } from "./deployed.ts";
import { functionCredentials, Gateway, type GatewayOptions, type IamMode } from "./gateway.ts";
import { Scheduler } from "./scheduler.ts";
import { LogShipper, SqsDestination } from "./sinks.ts";

/** moto's ids come from a seeded generator, so replaying the recording recreates the same ids. */
const MOTO_SEED = 2026;

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
  /** Progress lines (`[3/7] …`). */
  readonly progress: (line: string) => void;
  /** Function log lines, prefixed with the function. */
  readonly functionLog: (functionName: string, line: string) => void;
  /** Fire schedules on their own (tests turn it off and use trigger()). */
  readonly schedules?: boolean;
  /** API Gateway stage throttling (on unless a benchmark turns it off). */
  readonly apiThrottling?: boolean;
  /** Sees every call the gateway passed to moto (benchmarks). */
  readonly observe?: GatewayOptions["observe"];
}

/** A running local stack. */
export interface DevStack {
  readonly gateway: Gateway;
  readonly moto: MotoServer;
  readonly runtime: LocalRuntime;
  readonly deployed: Deployed;
  readonly apply: ApplyResult;
  readonly dataDir: string;
  /** Applies another synthesized copy of the stack (e.g. a changed policy) and switches to what it deployed. */
  redeploy(stackDir: string): Promise<ApplyResult>;
  /** A real terraform plan of another synthesized copy of the stack against what is deployed. */
  plan(stackDir: string): Promise<Record<string, unknown>>;
  /** Fires an EventBridge rule now and waits for its target to finish. */
  trigger(
    ruleName: string,
  ): Promise<{ rule: string; results: Array<{ functionName: string; status: string; attempts: number }> }>;
  stop(): Promise<void>;
}

const STEPS = 6;

/** Brings the whole system up on this machine: moto, the gateway, terraform apply, the runtime, schedules. */
export async function startDev(options: DevOptions): Promise<DevStack> {
  const step = (n: number, text: string) => options.progress(`[${n}/${STEPS}] ${text}`);
  const started = performance.now();

  step(1, "checking prerequisites");
  const motoServer = findMotoServer();
  if (!motoServer)
    throw new Error(`moto_server was not found on PATH: ${MOTO_INSTALL_HINT} (Python 3 is needed).`);
  if (!findExecutable("terraform"))
    throw new Error(`terraform was not found on PATH: ${TERRAFORM_INSTALL_HINT}.`);
  const stackName = options.stackDir.split("/").at(-1) ?? "";
  const stack = listStacks(join(options.stackDir, "..", "..")).find((s) => s.name === stackName);
  if (!stack) throw new Error(`No synthesized stack at ${options.stackDir}. Run \`pnpm synth\`.`);

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
    let trigger: DevStack["trigger"] = async () => {
      throw new Error("not ready");
    };
    const gateway = new Gateway({
      motoEndpoint: moto.endpoint,
      iam: options.iam,
      apiThrottling: options.apiThrottling,
      observe: options.observe,
      log: (line) => options.progress(line),
      control: async (path): Promise<Reply | undefined> => {
        const match = /^trigger\/(.+)$/.exec(path);
        if (path === "health")
          return { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' };
        if (!match) return undefined;
        try {
          const result = await trigger(decodeURIComponent(match[1] ?? ""));
          return {
            status: 200,
            headers: { "content-type": "application/json" },
            body: JSON.stringify(result),
          };
        } catch (error) {
          return {
            status: 404,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ message: (error as Error).message }),
          };
        }
      },
    });
    await gateway.listen(options.port);
    cleanups.push(() => gateway.close());

    step(4, "terraform apply of the synthesized stack (provider pointed at the gateway)");
    const applyStack = (synthesized: typeof stack) =>
      applyLocally(
        synthesized,
        join(dataDir, "terraform"),
        gateway.endpoint,
        (line) => options.progress(`      ${line}`),
        // Parallel is safe for a kept data directory: the gateway hands moto one request at a time,
        // so the recording is the order moto drew its ids in, and a replay recreates them.
        { parallelism: 10 },
      );
    const apply = await applyStack(stack);
    for (const notice of apply.notices) options.progress(`notice: ${notice}`);
    options.progress(
      `      ${apply.changes.add} added, ${apply.changes.change} changed, ${apply.changes.destroy} destroyed`,
    );

    step(5, "starting the Lambda runtime with the deployed configuration");
    const deployed = readDeployed(await readState(apply.workdir, awsProviderVersion(stack)));
    const logs = new LogShipper(gateway.endpoint, deployed.region, (message) => options.progress(message));
    const runtime = new Runtime(readStack(options.stackDir), {
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
      destination: new SqsDestination(gateway.endpoint, deployed.region),
      onLog: (line, meta) => {
        logs.add(meta.functionName, meta.logStreamName, line);
        options.functionLog(meta.functionName, line);
      },
    });
    cleanups.push(async () => {
      await runtime.close();
      await logs.close();
    });
    gateway.attach(deployed, runtime);

    trigger = async (ruleName) => {
      const rule = deployed.rules.find((r) => r.name === ruleName || r.name.endsWith(`-${ruleName}`));
      if (!rule)
        throw new Error(`Unknown rule "${ruleName}". Rules: ${deployed.rules.map((r) => r.name).join(", ")}`);
      const event = scheduledEvent({
        ruleArn: rule.arn,
        region: deployed.region,
        account: deployed.accountId,
      });
      const outcomes = await Promise.all(
        rule.targets.map(async (t) => ({
          functionName: t.functionName,
          outcome: await runtime.function(t.functionName).invokeAsync(event).completion,
        })),
      );
      return {
        rule: rule.name,
        results: outcomes.map((o) => ({
          functionName: o.functionName,
          status: o.outcome.status,
          attempts: o.outcome.attempts,
        })),
      };
    };

    step(6, "seeding EC2 instances and arming the schedules");
    await seedInstances(gateway.endpoint, deployed.region, options.instances);
    const scheduler = new Scheduler();
    cleanups.push(() => scheduler.stop());
    if (options.schedules !== false) {
      for (const rule of deployed.rules) {
        if (!rule.schedule) continue;
        scheduler.schedule(
          rule.name,
          rule.schedule,
          () =>
            void trigger(rule.name).catch((e: Error) => options.progress(`rule ${rule.name}: ${e.message}`)),
          (message) => options.progress(message),
        );
      }
    }
    // Where `pnpm trigger` finds the running stack (in the kept data directory, even when ephemeral).
    mkdirSync(options.dataDir, { recursive: true });
    const stateFile = join(options.dataDir, "gateway.json");
    writeFileSync(stateFile, `${JSON.stringify({ port: gateway.port, pid: process.pid })}\n`);
    cleanups.push(() => rmSync(stateFile, { force: true }));
    options.progress(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    /** The same stack, synthesized elsewhere (e.g. a changed copy). */
    const sameStackAt = (otherStackDir: string) => {
      const other = listStacks(join(otherStackDir, "..", "..")).find((s) => s.name === stackName);
      if (!other) throw new Error(`No synthesized stack ${stackName} at ${otherStackDir}`);
      return other;
    };
    const redeploy = async (otherStackDir: string) => {
      const other = sameStackAt(otherStackDir);
      const result = await applyStack(other);
      gateway.attach(readDeployed(await readState(result.workdir, awsProviderVersion(other))), runtime);
      return result;
    };
    const plan = async (otherStackDir: string) =>
      planLocally(sameStackAt(otherStackDir), join(dataDir, "terraform"), gateway.endpoint);
    return { gateway, moto, runtime, deployed, apply, dataDir, trigger, redeploy, plan, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Runs `count` instances in moto when none is running, so the monitor has something to count. */
async function seedInstances(endpoint: string, region: string, count: number): Promise<void> {
  if (count <= 0) return;
  const ec2 = new EC2Client({
    endpoint,
    region,
    credentials: { accessKeyId: "lambdaform-admin", secretAccessKey: "lambdaform-admin" },
  });
  const running = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["running"] }] }),
  );
  if ((running.Reservations ?? []).some((r) => (r.Instances ?? []).length > 0)) return;
  // One of the images moto ships.
  await ec2.send(
    new RunInstancesCommand({
      ImageId: "ami-12c6146b",
      InstanceType: "t3.micro",
      MinCount: count,
      MaxCount: count,
    }),
  );
}
