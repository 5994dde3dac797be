import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EVENT_TYPES, eventType, type GenerateOptions, generateEvent } from "../events/index.ts";
import { LOCAL_ACCOUNT_ID, LocalRuntime } from "../runtime/local-runtime.ts";
import type { InvocationResult } from "../runtime/types.ts";
import { findFunction, readStack, type StackSpec } from "../stack/read-stack.ts";
import { defaultDataDir, repoRoot, stackDir } from "./paths.ts";

/** A mistake in how the command was called: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const USAGE = `Usage:
  lambdaform invoke <function> [--stage dev] [--event <file>|-] [--type <event-type>]
                    [--invocation-type RequestResponse|Event] [--endpoint-url <url>] [--repeat N] [--no-build]
                    [--stack-dir <cdktf.out/stacks/…>] [--data-dir <dir>]
  lambdaform event <event-type> [--stage dev] [--key K] [--bucket B] [--size N] [--method M] [--path P]
                    [--header Name=Value]… [--query name=value]… [--body B] [--no-headers] [--rule-arn ARN]
  lambdaform dev [--stage dev] [--port 4566] [--ephemeral] [--iam enforce|warn|off] [--instances 3] [--data-dir <dir>]
  lambdaform trigger <rule> [--stage dev]
  lambdaform review [--plan <plan.json> --stack <name>] [--base <cdktf.out> --head <cdktf.out>]
                    [--plan-text <file>] [--out <dir>] [--post --pr <n>] [--sha <sha>]
  lambdaform cost [--stage dev] [--invocations N] [--duration-ms D] [--traffic <file.json>]
                    [--from-reports <log file> --function F] [--free-tier] [--architecture x86_64|arm64]
                    [--compare-memory 128,256,512,1024 [--durations 800,400,210,110] --function F]
  lambdaform dlq list [--stage dev]
  lambdaform dlq redrive <queue> [--id <id>]… [--stage dev]

Event types: ${Object.entries(EVENT_TYPES)
  .map(([type, aliases]) => `${type} (${aliases.join(", ")})`)
  .join("; ")}`;

const err = (text: string) => process.stderr.write(`${text}\n`);

/** Builds the functions and synthesizes the stacks through turbo (a cache hit when nothing changed). */
function buildAndSynth(root: string): void {
  err("lambdaform: building functions and synthesizing stacks (turbo; cached when unchanged)…");
  const result = spawnSync(
    join(root, "node_modules", ".bin", "turbo"),
    ["run", "synth", "--filter=@lambdaform/infra", "--output-logs=errors-only", "--log-prefix=none"],
    { cwd: root, encoding: "utf8", env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env } },
  );
  if (result.status !== 0) {
    err(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    throw new Error("build or synth failed (see above). Run `pnpm synth` to see why.");
  }
}

function loadStack(root: string, values: Record<string, unknown>): StackSpec {
  const stage = String(values.stage);
  const dir = values["stack-dir"] ? String(values["stack-dir"]) : stackDir(root, stage);
  if (!existsSync(join(dir, "cdk.tf.json"))) {
    throw new UsageError(
      `No synthesized stack for stage "${stage}" at ${dir}. Valid stages are dev and prod; run \`pnpm synth\`.`,
    );
  }
  return readStack(dir);
}

function readEvent(source: string): unknown {
  let text: string;
  try {
    text = source === "-" ? readFileSync(0, "utf8") : readFileSync(source, "utf8");
  } catch (error) {
    throw new UsageError(
      `Cannot read event file ${source === "-" ? "(standard input)" : source}: ${(error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Event ${source === "-" ? "on standard input" : `file ${source}`} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function pairs(values: ReadonlyArray<string> | undefined, flag: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const value of values ?? []) {
    const at = value.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} takes Name=Value, got "${value}"`);
    const name = value.slice(0, at);
    out[name] = [...(out[name] ?? []), value.slice(at + 1)];
  }
  return out;
}

function generateOptions(values: Record<string, unknown>): GenerateOptions {
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && (!Number.isInteger(size) || size < 0))
    throw new UsageError(`--size must be a whole number ≥ 0, got ${values.size}`);
  const s3: GenerateOptions["s3"] = {
    ...(values.bucket ? { bucket: String(values.bucket) } : {}),
    ...(values.key ? { key: String(values.key) } : {}),
    ...(size === undefined ? {} : { size }),
  };
  return {
    s3,
    apigw: {
      ...(values.method ? { method: String(values.method) } : {}),
      ...(values.path ? { path: String(values.path) } : {}),
      ...(values.body ? { body: String(values.body) } : {}),
      headers: pairs(values.header as string[] | undefined, "--header"),
      query: pairs(values.query as string[] | undefined, "--query"),
      noHeaders: Boolean(values["no-headers"]),
    },
    schedule: values["rule-arn"] ? { ruleArn: String(values["rule-arn"]) } : {},
  };
}

const OPTIONS = {
  stage: { type: "string", default: "dev" },
  event: { type: "string" },
  type: { type: "string" },
  "invocation-type": { type: "string", default: "RequestResponse" },
  "endpoint-url": { type: "string" },
  repeat: { type: "string", default: "1" },
  "no-build": { type: "boolean", default: false },
  "data-dir": { type: "string" },
  "stack-dir": { type: "string" },
  bucket: { type: "string" },
  key: { type: "string" },
  size: { type: "string" },
  method: { type: "string" },
  path: { type: "string" },
  header: { type: "string", multiple: true },
  query: { type: "string", multiple: true },
  body: { type: "string" },
  "no-headers": { type: "boolean", default: false },
  "rule-arn": { type: "string" },
  id: { type: "string", multiple: true },
  port: { type: "string", default: "4566" },
  plan: { type: "string" },
  invocations: { type: "string" },
  "duration-ms": { type: "string" },
  traffic: { type: "string" },
  "from-reports": { type: "string" },
  function: { type: "string" },
  "free-tier": { type: "boolean", default: false },
  architecture: { type: "string" },
  "compare-memory": { type: "string" },
  durations: { type: "string" },
  "plan-text": { type: "string" },
  stack: { type: "string" },
  base: { type: "string" },
  head: { type: "string" },
  out: { type: "string" },
  post: { type: "boolean", default: false },
  pr: { type: "string" },
  sha: { type: "string" },
  ephemeral: { type: "boolean", default: false },
  iam: { type: "string", default: "enforce" },
  instances: { type: "string", default: "3" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Variables that point the SDK at local endpoints, or pass the caller's AWS settings through. */
function endpointEnv(endpoint: string | undefined): Record<string, string> {
  if (endpoint) {
    return {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
  }
  // Like `sam local invoke`: without an endpoint the function talks to AWS as the caller.
  const passThrough = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "HOME",
  ];
  return Object.fromEntries(
    passThrough.flatMap((key) => (process.env[key] ? [[key, process.env[key] as string]] : [])),
  );
}

/** The runtime `invoke` and `dlq` use: local data directory, endpoint from --endpoint-url, logs to stderr. */
function cliRuntime(stack: StackSpec, values: Record<string, unknown>, root: string): LocalRuntime {
  return new LocalRuntime(stack, {
    dataDir: String(values["data-dir"] ?? defaultDataDir(root)),
    extraEnv: endpointEnv(values["endpoint-url"] as string | undefined),
    onLog: (line) => err(line),
  });
}

function printResult(result: InvocationResult): void {
  process.stdout.write(`${JSON.stringify(result.payload, null, 2)}\n`);
}

async function invoke(args: string[], values: Record<string, unknown>, root: string): Promise<number> {
  const name = args[0];
  if (!name) throw new UsageError(`invoke needs a function name.\n${USAGE}`);
  if (values.event && values.type) throw new UsageError("Give either --event or --type, not both.");
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new UsageError(`--repeat must be a whole number ≥ 1, got ${values.repeat}`);
  const invocationType = String(values["invocation-type"]);
  if (invocationType !== "RequestResponse" && invocationType !== "Event") {
    throw new UsageError(`--invocation-type must be RequestResponse or Event, got ${invocationType}`);
  }
  if (!values["no-build"] && !values["stack-dir"]) buildAndSynth(root);
  const stack = loadStack(root, values);
  const runtime = cliRuntime(stack, values, root);
  try {
    const fn = runtime.function(name);
    const event = values.event
      ? readEvent(String(values.event))
      : values.type
        ? generateEvent(eventType(String(values.type)), stack, LOCAL_ACCOUNT_ID, generateOptions(values))
        : {};
    let failed = false;
    for (let i = 0; i < repeat; i++) {
      if (invocationType === "Event") {
        const { requestId, completion } = fn.invokeAsync(event);
        err(`queued asynchronous invocation ${requestId}`);
        const outcome = await completion;
        const last = outcome.results.at(-1);
        if (last) printResult(last);
        if (outcome.status === "failed") {
          failed = true;
          err(
            `asynchronous invocation ${requestId} failed after ${outcome.attempts} attempts` +
              (outcome.deadLetter ? `; sent to on-failure destination ${outcome.deadLetter.queueName}` : ""),
          );
        }
      } else {
        const result = await fn.invoke(event);
        printResult(result);
        if (result.functionError) failed = true;
      }
    }
    return failed ? 1 : 0;
  } finally {
    await runtime.close();
  }
}

function event(args: string[], values: Record<string, unknown>, root: string): number {
  const type = args[0];
  if (!type) throw new UsageError(`event needs an event type.\n${USAGE}`);
  const dir = values["stack-dir"] ? String(values["stack-dir"]) : stackDir(root, String(values.stage));
  const stack = existsSync(join(dir, "cdk.tf.json")) ? readStack(dir) : undefined;
  const generated = generateEvent(eventType(type), stack, LOCAL_ACCOUNT_ID, generateOptions(values));
  process.stdout.write(`${JSON.stringify(generated, null, 2)}\n`);
  return 0;
}

async function dlq(args: string[], values: Record<string, unknown>, root: string): Promise<number> {
  const stack = loadStack(root, values);
  const runtime = cliRuntime(stack, values, root);
  try {
    if (args[0] === "list") {
      const letters = runtime.deadLetters.list();
      for (const l of letters) {
        const error = l.record.responsePayload as { errorType?: string; errorMessage?: string } | null;
        process.stdout.write(
          `${l.queueName}\t${l.id}\t${l.receivedAt}\t${l.record.requestContext.condition} after ${l.record.requestContext.approximateInvokeCount}\t${error?.errorType ?? ""}: ${error?.errorMessage ?? ""}\n`,
        );
      }
      err(`${letters.length} dead letter(s)`);
      return 0;
    }
    if (args[0] === "redrive" && args[1]) {
      const results = await runtime.redrive(args[1], values.id as string[] | undefined);
      const failed = results.filter((r) => r.outcome.status === "failed").length;
      err(`redrove ${results.length} event(s): ${results.length - failed} succeeded, ${failed} failed again`);
      return failed > 0 ? 1 : 0;
    }
    throw new UsageError(`dlq takes "list" or "redrive <queue>".\n${USAGE}`);
  } finally {
    await runtime.close();
  }
}

function wholeNumber(value: unknown, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, got ${String(value)}`);
  return n;
}

async function dev(values: Record<string, unknown>, root: string): Promise<number> {
  const iam = String(values.iam);
  if (iam !== "enforce" && iam !== "warn" && iam !== "off")
    throw new UsageError(`--iam must be enforce, warn or off, got ${iam}`);
  const port = wholeNumber(values.port, "--port", 0);
  const instances = wholeNumber(values.instances, "--instances", 0);
  const stage = String(values.stage);
  if (!values["no-build"] && !values["stack-dir"]) buildAndSynth(root);
  const stack = loadStack(root, values);
  const { startDev } = await import("../dev/dev.ts");
  const colors = [36, 35, 33, 32, 34];
  const prefixes = new Map<string, string>();
  const prefix = (name: string) => {
    let p = prefixes.get(name);
    if (!p) {
      const short = name.startsWith(`${stack.name}-`) ? name.slice(stack.name.length + 1) : name;
      p = process.stdout.isTTY
        ? `\x1b[${colors[prefixes.size % colors.length]}m[${short}]\x1b[0m`
        : `[${short}]`;
      prefixes.set(name, p);
    }
    return p;
  };
  const running = await startDev({
    stage,
    stackDir: stack.dir,
    dataDir: join(String(values["data-dir"] ?? defaultDataDir(root)), "dev", stage),
    ephemeral: Boolean(values.ephemeral),
    port,
    iam,
    instances,
    progress: (line) => err(line),
    functionLog: (name, line) => process.stdout.write(`${prefix(name)} ${line}\n`),
  });
  const url = running.gateway.endpoint;
  const api = running.deployed.apis[0];
  err(`
Local stack "${stack.name}" is up. Every client uses ${url}:
  curl ${url}/${api?.stages[0]?.name ?? "prod"}/hello
  aws --endpoint-url ${url} s3 cp test-file.txt s3://${running.deployed.buckets[0] ?? "<bucket>"}/uploads/
  aws --endpoint-url ${url} dynamodb scan --table-name ${running.deployed.tables[0] ?? "<table>"}
  pnpm trigger EC2MonitoringSchedule
(AWS CLI: export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${running.deployed.region})
Ctrl-C stops everything.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  err("stopping…");
  await running.stop();
  return 0;
}

async function trigger(args: string[], values: Record<string, unknown>, root: string): Promise<number> {
  const rule = args[0];
  if (!rule) throw new UsageError(`trigger needs a rule name.\n${USAGE}`);
  const stateFile = join(
    String(values["data-dir"] ?? defaultDataDir(root)),
    "dev",
    String(values.stage),
    "gateway.json",
  );
  if (!existsSync(stateFile))
    throw new UsageError(
      `No local stack is running for stage ${String(values.stage)}. Start it with \`pnpm dev\`.`,
    );
  const { port } = JSON.parse(readFileSync(stateFile, "utf8")) as { port: number };
  const response = await fetch(`http://127.0.0.1:${port}/_lambdaform/trigger/${encodeURIComponent(rule)}`, {
    method: "POST",
  });
  const body = (await response.json()) as { message?: string };
  if (!response.ok) throw new UsageError(body.message ?? `HTTP ${response.status}`);
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  return 0;
}

async function review(values: Record<string, unknown>, root: string): Promise<number> {
  const { diffSynth, parsePlan, renderComment, upsertComment } = await import("@lambdaform/review");
  const sha =
    (values.sha as string | undefined) ??
    process.env.GITHUB_SHA ??
    (spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).stdout ?? "").trim();
  const terraformVersion = (
    spawnSync("terraform", ["version", "-json"], { encoding: "utf8" }).stdout ?? ""
  ).match(/"terraform_version":\s*"([^"]+)"/)?.[1];
  const infraPackage = JSON.parse(readFileSync(join(root, "packages", "infra", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const workspace = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const pinned = (name: string) =>
    new RegExp(`\\n\\s+"?${name.replace(/[/@]/g, "\\$&")}"?:\\s*(\\S+)`).exec(workspace)?.[1];
  const versions: Record<string, string> = {
    ...(terraformVersion ? { terraform: terraformVersion } : {}),
    cdktf: pinned("cdktf") ?? infraPackage.dependencies.cdktf ?? "?",
    "@cdktf/provider-aws": pinned("@cdktf/provider-aws") ?? "?",
  };
  const sets: Array<{ set: ReturnType<typeof parsePlan>; planText?: string }> = [];
  const planText = values["plan-text"] ? readFileSync(String(values["plan-text"]), "utf8") : undefined;
  if (values.base || values.head) {
    if (!values.base || !values.head)
      throw new UsageError("--base and --head go together (two cdktf.out directories or cdk.tf.json files).");
    const stackFiles = (path: string) => {
      if (path.endsWith(".json"))
        return new Map([[String(values.stack ?? "stack"), readFileSync(path, "utf8")]]);
      const dir = join(path, "stacks");
      if (!existsSync(dir))
        throw new UsageError(
          `${path} has no stacks/ directory; give a cdktf.out directory or a cdk.tf.json file.`,
        );
      return new Map(
        readdirSync(dir)
          .sort()
          .map((name) => [name, readFileSync(join(dir, name, "cdk.tf.json"), "utf8")]),
      );
    };
    const base = stackFiles(String(values.base));
    const head = stackFiles(String(values.head));
    for (const [name, text] of head)
      sets.push({ set: diffSynth(base.get(name) ?? '{"resource":{}}', text, name) });
  } else if (values.plan) {
    sets.push({
      set: parsePlan(readFileSync(String(values.plan), "utf8"), String(values.stack ?? "stack")),
      planText,
    });
  } else {
    const offline = join(root, "packages", "infra", "cdktf.out", "offline");
    const stacks = existsSync(offline)
      ? readdirSync(offline)
          .filter((s) => existsSync(join(offline, s, "plan.json")))
          .sort()
      : [];
    if (stacks.length === 0)
      throw new UsageError(
        "No offline plans found. Run `pnpm plan:offline` first, or pass --plan / --base and --head.",
      );
    for (const name of stacks)
      sets.push({ set: parsePlan(readFileSync(join(offline, name, "plan.json"), "utf8"), name) });
  }
  for (const { set, planText: text } of sets) {
    const comment = renderComment(set, { sha, versions, planText: text });
    if (values.out) {
      mkdirSync(String(values.out), { recursive: true });
      writeFileSync(join(String(values.out), `${set.stack}.md`), comment);
    }
    if (values.post) {
      const token = process.env.GITHUB_TOKEN;
      const repo = process.env.GITHUB_REPOSITORY;
      if (!token || !repo || !values.pr)
        throw new UsageError(
          "--post needs GITHUB_TOKEN and GITHUB_REPOSITORY in the environment and --pr <number>.",
        );
      const result = await upsertComment({
        repo,
        pr: wholeNumber(values.pr, "--pr", 1),
        stack: set.stack,
        body: comment,
        token,
        api: process.env.GITHUB_API_URL,
      });
      err(`${set.stack}: comment ${result.action} (${result.id})`);
    } else {
      process.stdout.write(`${comment}\n`);
    }
  }
  return 0;
}

function numberList(value: unknown, flag: string): number[] {
  const list = String(value)
    .split(",")
    .map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n < 0))
    throw new UsageError(`${flag} takes numbers ≥ 0 separated by commas, got "${String(value)}"`);
  return list;
}

async function cost(values: Record<string, unknown>, root: string): Promise<number> {
  const {
    compareMemory,
    dollars,
    monthlyCost,
    PRICES,
    UsageError: CostInputError,
  } = await import("@lambdaform/cost");
  const stack = loadStack(root, values);
  const architectureOverride = values.architecture as string | undefined;
  if (architectureOverride && architectureOverride !== "x86_64" && architectureOverride !== "arm64") {
    throw new UsageError(`--architecture must be x86_64 or arm64, got ${architectureOverride}`);
  }
  const arch = (a: string) => (architectureOverride ?? a) as "x86_64" | "arm64";
  const number = (flag: string, fallback?: number) => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0)
      throw new UsageError(`--${flag} must be a number ≥ 0, got ${String(raw)}`);
    return n;
  };
  try {
    if (values["compare-memory"]) {
      if (!values.function) throw new UsageError("--compare-memory needs --function <name>.");
      const fn = findFunction(stack, String(values.function));
      const sizes = numberList(values["compare-memory"], "--compare-memory");
      const durations = values.durations
        ? numberList(values.durations, "--durations")
        : [number("duration-ms", 100) ?? 100];
      const rows = compareMemory(
        {
          name: fn.shortName,
          architecture: arch(fn.architecture),
          invocations: number("invocations", 1_000_000) ?? 0,
        },
        sizes,
        durations,
      );
      process.stdout.write(
        `${fn.shortName} (${arch(fn.architecture)}), ${rows[0]?.invocations.toLocaleString("en-US")} invocations a month\n\n`,
      );
      process.stdout.write(
        "| Memory | Duration | GB-s | Requests | Duration cost | Total |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n",
      );
      for (const r of rows) {
        process.stdout.write(
          `| ${r.memoryMb} MB | ${r.billedDurationMs} ms | ${Math.round(r.gbSeconds).toLocaleString("en-US")} | ${dollars(r.requestCost)} | ${dollars(r.durationCost)} | ${dollars(r.total)} |\n`,
        );
      }
      const best = [...rows].sort((a, b) => a.total - b.total)[0];
      process.stdout.write(`\ncheapest: ${best?.memoryMb} MB at ${dollars(best?.total ?? 0)} a month\n`);
      return 0;
    }
    let traffic: Record<string, { invocations?: number; durationMs?: number }> = {};
    if (values.traffic) {
      try {
        traffic = JSON.parse(readFileSync(String(values.traffic), "utf8"));
      } catch (error) {
        throw new UsageError(
          `Cannot read the traffic file ${String(values.traffic)}: ${(error as Error).message}`,
        );
      }
      for (const name of Object.keys(traffic)) findFunction(stack, name);
    }
    let measured: number | undefined;
    if (values["from-reports"]) {
      if (!values.function)
        throw new UsageError(
          "--from-reports needs --function <name> (REPORT lines do not name their function).",
        );
      findFunction(stack, String(values.function));
      const text = readFileSync(String(values["from-reports"]), "utf8");
      const billed = [...text.matchAll(/REPORT RequestId: [^\t]+\tDuration: ([\d.]+) ms/g)].map((m) =>
        Number(m[1]),
      );
      if (billed.length === 0) throw new UsageError(`No REPORT lines in ${String(values["from-reports"])}.`);
      measured = billed.reduce((a, b) => a + b, 0) / billed.length;
    }
    const usages = stack.functions
      .filter((fn) => !values.function || fn.shortName === values.function || fn.name === values.function)
      .map((fn) => {
        const own = traffic[fn.shortName] ?? traffic[fn.name] ?? {};
        const durationMs =
          (values.function && measured !== undefined ? measured : undefined) ??
          own.durationMs ??
          number("duration-ms", 100) ??
          100;
        return {
          name: fn.shortName,
          memoryMb: fn.memoryMb,
          architecture: arch(fn.architecture),
          invocations: own.invocations ?? number("invocations", 1_000_000) ?? 0,
          durationMs,
        };
      });
    if (values.function) findFunction(stack, String(values.function));
    const report = monthlyCost(usages, { freeTier: Boolean(values["free-tier"]) });
    process.stdout.write(
      `Monthly cost of ${stack.name} (prices: ${PRICES.region}, taken ${PRICES.taken})\n\n`,
    );
    process.stdout.write(
      "| Function | Memory | Arch | Invocations | Billed duration | GB-s | Requests | Duration | Total |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (const f of report.functions) {
      process.stdout.write(
        `| ${f.name} | ${f.memoryMb} MB | ${f.architecture} | ${f.invocations.toLocaleString("en-US")} | ${f.billedDurationMs} ms | ${Math.round(f.gbSeconds).toLocaleString("en-US")} | ${dollars(f.requestCost)} | ${dollars(f.durationCost)} | ${dollars(f.total)} |\n`,
      );
    }
    if (values["free-tier"])
      process.stdout.write(`| free tier | | | | | | | | −${dollars(report.freeTierCredit)} |\n`);
    process.stdout.write(
      `| **total** | | | | | | ${dollars(report.requestCost)} | ${dollars(report.durationCost)} | **${dollars(report.total)}** |\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof CostInputError) throw new UsageError(error.message);
    throw error;
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      process.stdout.write(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const root = repoRoot();
    switch (command) {
      case "invoke":
        return await invoke(rest, values, root);
      case "event":
        return event(rest, values, root);
      case "dlq":
        return await dlq(rest, values, root);
      case "dev":
        return await dev(values, root);
      case "trigger":
        return await trigger(rest, values, root);
      case "review":
        return await review(values, root);
      case "cost":
        return await cost(values, root);
      default:
        throw new UsageError(
          `Unknown command "${command}". Commands: invoke, event, dev, trigger, review, cost, dlq.\n${USAGE}`,
        );
    }
  } catch (error) {
    const e = error as Error & { code?: string };
    const usage =
      e instanceof UsageError ||
      e.code?.startsWith("ERR_PARSE_ARGS") ||
      /^Unknown (function|event type)/.test(e.message);
    err(`lambdaform: ${e.message}`);
    return usage ? 2 : 1;
  }
}
