import { basename } from "node:path";
import { devDataDir } from "../../dev/control-client.ts";
import {
  buildAndSynthInBackground,
  chosenStackDir,
  DATA_DIR_FLAG,
  loadStack,
  NO_BUILD_FLAG,
  oneOf,
  STACK_DIR_FLAG,
  STAGE_FLAG,
  stageName,
  wholeNumber,
} from "../args.ts";
import { defineCommand } from "../command.ts";
import { INSPECT_FLAGS, startInspector } from "../inspect.ts";
import { defaultDataDir } from "../paths.ts";

const COLORS = [36, 35, 33, 32, 34];

/** Prefixes each function's log lines with its short name, in a colour of its own on a terminal. */
function functionPrefixes(stackName: string): (name: string) => string {
  const prefixes = new Map<string, string>();
  return (name) => {
    let p = prefixes.get(name);
    if (!p) {
      const short = name.startsWith(`${stackName}-`) ? name.slice(stackName.length + 1) : name;
      p = process.stdout.isTTY
        ? `\x1b[${COLORS[prefixes.size % COLORS.length]}m[${short}]\x1b[0m`
        : `[${short}]`;
      prefixes.set(name, p);
    }
    return p;
  };
}

/** `lambdaform dev`: the whole system on this machine until Ctrl-C. */
export const devCommand = defineCommand({
  name: "dev",
  summary: "run the whole system locally: terraform apply to moto behind one gateway",
  usage:
    "dev [--stage dev] [--port 4566] [--ephemeral] [--iam enforce|warn|off] [--instances 3] [--data-dir <dir>] [--no-watch] [--faults] [--no-api-throttling]",
  options: {
    ...STAGE_FLAG,
    ...STACK_DIR_FLAG,
    ...DATA_DIR_FLAG,
    ...NO_BUILD_FLAG,
    port: { type: "string", default: "4566" },
    ephemeral: { type: "boolean", default: false },
    iam: { type: "string", default: "enforce" },
    instances: { type: "string", default: "3" },
    "no-watch": { type: "boolean", default: false },
    faults: { type: "boolean", default: false },
    "no-api-throttling": { type: "boolean", default: false },
    ...INSPECT_FLAGS,
  },
  async run({ values, root }) {
    const iam = oneOf(values.iam, "--iam", ["enforce", "warn", "off"]);
    const port = wholeNumber(values.port, "--port", 0);
    const instances = wholeNumber(values.instances, "--instances", 0);
    const stage = stageName(values.stage);
    // The build runs while moto starts; the stack is read once it is built.
    const building =
      !values["no-build"] && !values["stack-dir"] ? buildAndSynthInBackground(root) : Promise.resolve();
    building.catch(() => {});
    const stackDir = chosenStackDir(root, values);
    const { startDev } = await import("../../dev/dev.ts");
    const pauses = startInspector(values, { wait: false, log: (line) => process.stderr.write(`${line}\n`) });
    const prefix = functionPrefixes(basename(stackDir));
    // A scripted SIGINT to pnpm's process group reaches us only through the relay (see there).
    const { startInterruptRelay } = await import("../../dev/interrupt-relay.ts");
    const relay = startInterruptRelay({ log: (line) => process.stderr.write(`${line}\n`) });
    const running = await startDev({
      stage,
      stackDir,
      built: building.then(() => void loadStack(root, values)),
      dataDir: devDataDir(values["data-dir"] ?? defaultDataDir(root), stage),
      ephemeral: values.ephemeral,
      port,
      iam,
      instances,
      progress: (line) => process.stderr.write(`${line}\n`),
      functionLog: (name, line) => process.stdout.write(`${prefix(name)} ${line}\n`),
      root,
      watch: values["no-watch"] ? undefined : {},
      faults: values.faults,
      ...(values["no-api-throttling"] ? { hooks: { apiThrottling: false } } : {}),
      pauses,
    });
    const url = running.gateway.endpoint;
    const stack = loadStack(root, values);
    const { deployed } = running.current();
    const api = deployed.apis[0];
    process.stderr.write(`
Local stack "${stack.name}" is up. Every client uses ${url}:
  console: ${url}/_lambdaform/   (invocations, logs, data, dead letters, metrics, alarms, schedules)
  curl ${url}/${api?.stages[0]?.name ?? "prod"}/hello
  aws --endpoint-url ${url} s3 cp test-file.txt s3://${deployed.buckets[0] ?? "<bucket>"}/uploads/
  aws --endpoint-url ${url} dynamodb scan --table-name ${deployed.tables[0] ?? "<table>"}
  pnpm trigger EC2MonitoringSchedule
(AWS CLI: export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${deployed.region})
Ctrl-C stops everything.
`);
    const signalled = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
      void relay.signalled.then(() => resolve());
    });
    if ((await Promise.race([signalled.then(() => "signal"), running.failed])) !== "signal") return 1;
    process.stderr.write("stopping…\n");
    await running.stop();
    relay.stop();
    return 0;
  },
});
