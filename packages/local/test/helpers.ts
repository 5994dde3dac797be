import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevOptions } from "../src/dev/dev.ts";
import { LocalRuntime, type LocalRuntimeOptions } from "../src/runtime/local-runtime.ts";
import type { InvocationResult } from "../src/runtime/types.ts";
import { readStack } from "../src/stack/read-stack.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/functions/", import.meta.url));
const BUNDLER = fileURLToPath(new URL("../../bundler/bin/lambdaform-bundle.mjs", import.meta.url));
const built = new Set<string>();

const BUNDLER_SRC = fileURLToPath(new URL("../../bundler/src/", import.meta.url));

/** The newest modification time of what a fixture's build reads: its src/, package.json, the bundler. */
function sourcesChangedAt(dir: string): number {
  const times = [join(dir, "src"), BUNDLER_SRC].flatMap((from) =>
    readdirSync(from, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
  );
  return Math.max(statSync(join(dir, "package.json")).mtimeMs, ...times);
}

/** Runs `work` holding a lock directory (test processes in parallel build one fixture once). */
function withLock<T>(lock: string, work: () => T): T {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`${lock} is held for over 2 minutes: remove it if no test runs`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds a fixture function exactly like the real ones (lambdaform-bundle → dist/function.zip),
 * unless its last build is newer than its sources (test processes running side by side each
 * built every fixture again).
 */
export function buildFixture(name: string): { zip: string; hash: string } {
  const dir = join(FIXTURES, name);
  const stale = () =>
    (statSync(join(dir, "dist", "manifest.json"), { throwIfNoEntry: false })?.mtimeMs ?? 0) <
    sourcesChangedAt(dir);
  if (!built.has(name))
    withLock(`${dir}.building`, () => {
      if (!stale()) return;
      const result = spawnSync(process.execPath, [BUNDLER], { cwd: dir, encoding: "utf8" });
      if (result.status !== 0)
        throw new Error(`building fixture ${name} failed:\n${result.stderr}${result.stdout}`);
    });
  built.add(name);
  const manifest = JSON.parse(readFileSync(join(dir, "dist", "manifest.json"), "utf8"));
  return { zip: join(dir, "dist", "function.zip"), hash: manifest.sourceCodeHash };
}

export interface FixtureFunction {
  readonly fixture: string;
  readonly name: string;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  readonly environment?: Record<string, string>;
  readonly reservedConcurrency?: number;
  /** Adds an event invoke config with this retry count and an SQS on-failure destination. */
  readonly async?: { readonly retries: number; readonly queue: string };
}

/** Writes a synthesized-stack directory (cdk.tf.json + assets) for fixture functions, as cdktf lays it out. */
export function fixtureStack(
  functions: ReadonlyArray<FixtureFunction>,
  stackName = "lambdaform-test",
): string {
  const dir = join(mkdtempSync(join(tmpdir(), "lf-local-")), stackName);
  const resource: Record<string, Record<string, unknown>> = {
    aws_lambda_function: {},
    aws_lambda_function_event_invoke_config: {},
    aws_sqs_queue: {},
  };
  for (const fn of functions) {
    const { zip, hash } = buildFixture(fn.fixture);
    const id = fn.name.replace(/[^a-z0-9]/gi, "_");
    const asset = `assets/${id}/function.zip`;
    mkdirSync(join(dir, "assets", id), { recursive: true });
    copyFileSync(zip, join(dir, asset));
    (resource.aws_lambda_function as Record<string, unknown>)[id] = {
      function_name: `${stackName}-${fn.name}`,
      handler: "index.handler",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      memory_size: fn.memoryMb ?? 128,
      timeout: fn.timeoutSeconds ?? 3,
      filename: asset,
      source_code_hash: hash,
      environment: { variables: fn.environment ?? {} },
      ...(fn.reservedConcurrency === undefined
        ? {}
        : { reserved_concurrent_executions: fn.reservedConcurrency }),
    };
    if (fn.async) {
      (resource.aws_sqs_queue as Record<string, unknown>)[`${id}_dlq`] = { name: fn.async.queue };
      (resource.aws_lambda_function_event_invoke_config as Record<string, unknown>)[`${id}_async`] = {
        function_name: `\${aws_lambda_function.${id}.function_name}`,
        maximum_retry_attempts: fn.async.retries,
        destination_config: { on_failure: { destination: `\${aws_sqs_queue.${id}_dlq.arn}` } },
      };
    }
  }
  writeFileSync(
    join(dir, "cdk.tf.json"),
    JSON.stringify({ provider: { aws: [{ region: "eu-west-1" }] }, resource }, null, 2),
  );
  return dir;
}

/** A runtime over fixture functions, with fast retries and its own data directory. */
export function fixtureRuntime(
  functions: ReadonlyArray<FixtureFunction>,
  options: Partial<LocalRuntimeOptions> = {},
): LocalRuntime {
  return new LocalRuntime(readStack(fixtureStack(functions)), {
    dataDir: mkdtempSync(join(tmpdir(), "lf-data-")),
    retryDelayMs: () => 20,
    ...options,
  });
}

/** What the probe fixture answers: its own counters, its context and its environment. */
export type ProbeResult = {
  invocations: number;
  loadedAt: number;
  remaining: number;
  heapLimitMb: number;
  context: Record<string, string>;
  env: Record<string, string | undefined>;
};
export const probe = (result: InvocationResult) => result.payload as ProbeResult;
export const report = (result: InvocationResult) => result.logs.find((l) => l.startsWith("REPORT")) ?? "";

/**
 * The fixture functions the runtime suites share. The host gets a variable that must not leak into
 * any function's environment.
 */
export function probeRuntime(): LocalRuntime {
  process.env.HOST_ONLY_SECRET = "must-not-leak";
  return fixtureRuntime(
    [
      { fixture: "probe", name: "probe", timeoutSeconds: 1, environment: { GREETING: "hi" } },
      { fixture: "probe", name: "small", memoryMb: 128, timeoutSeconds: 10 },
      { fixture: "probe", name: "crowded", memoryMb: 128, timeoutSeconds: 2 },
      { fixture: "probe", name: "async", async: { retries: 2, queue: "lambdaform-test-async-dlq" } },
      { fixture: "probe", name: "default-async" },
      { fixture: "probe", name: "reserved", reservedConcurrency: 1, timeoutSeconds: 5 },
      { fixture: "broken-init", name: "broken" },
    ],
    { extraEnv: { AWS_ENDPOINT_URL: "http://127.0.0.1:4566" } },
  );
}

export async function closeProbeRuntime(runtime: LocalRuntime): Promise<void> {
  delete process.env.HOST_ONLY_SECRET;
  await runtime.close();
}

/**
 * A copy of a synthesized stack (its directory, in a new temporary one) with the IAM statement
 * `sid` removed from every policy document: applied, the role loses exactly that permission.
 */
export function stackWithoutStatement(stackDir: string, sid: string): string {
  const copyDir = join(mkdtempSync(join(tmpdir(), "lf-stack-copy-")), "stacks", "lambdaform-dev");
  cpSync(stackDir, copyDir, { recursive: true });
  const file = join(copyDir, "cdk.tf.json");
  const json = JSON.parse(readFileSync(file, "utf8"));
  for (const doc of Object.values(json.data.aws_iam_policy_document) as Array<{
    statement: Array<{ sid?: string }>;
  }>)
    doc.statement = doc.statement.filter((s) => s.sid !== sid);
  writeFileSync(file, JSON.stringify(json));
  return copyDir;
}

/**
 * pnpm dev as the e2e tests start it: the dev stage on `port`, a kept data directory, enforced IAM,
 * three seeded instances, schedules off; its output and the functions' lines into `lines` (or
 * nowhere). A test spreads in what it does differently.
 */
export function devTestOptions(
  stackDir: string,
  dataDir: string,
  port: number,
  lines?: string[],
): DevOptions {
  return {
    stage: "dev",
    stackDir,
    dataDir,
    ephemeral: false,
    port,
    iam: "enforce",
    instances: 3,
    progress: lines ? (line) => lines.push(line) : () => {},
    functionLog: lines ? (name, line) => lines.push(`[${name}] ${line}`) : () => {},
    hooks: { schedules: false },
    // The suites run two at a time: the other suite is no person's foreground work for an apply
    // to yield to (see DevOptions.backgroundNiceness).
    backgroundNiceness: 0,
  };
}
