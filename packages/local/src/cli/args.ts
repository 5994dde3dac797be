import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ControlClient, devDataDir } from "../dev/control-client.ts";
import { functionCredentials } from "../identity.ts";
import { UnknownNameError } from "../names.ts";
import { LocalRuntime } from "../runtime/local-runtime.ts";
import type { PauseMonitor } from "../runtime/pause-monitor.ts";
import { type FunctionSpec, readStack, type StackSpec } from "../stack/read-stack.ts";
import { sourceMapOf } from "../watch/packages.ts";
import { UsageError } from "./command.ts";
import { defaultDataDir, stackDir } from "./paths.ts";

/** Flags several verbs share, declared once. */
export const STAGE_FLAG = { stage: { type: "string", default: "dev" } } as const;
export const DATA_DIR_FLAG = { "data-dir": { type: "string" } } as const;
export const STACK_DIR_FLAG = { "stack-dir": { type: "string" } } as const;
export const NO_BUILD_FLAG = { "no-build": { type: "boolean", default: false } } as const;
export const ENDPOINT_FLAG = { "endpoint-url": { type: "string" } } as const;

const STAGE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** A stage name as the infra's naming allows (`dev`, `prod`, …); never a path. */
export function stageName(value: string): string {
  if (!STAGE_NAME.test(value))
    throw new UsageError(
      `--stage must be a stage name (lower-case letters, digits and dashes, starting with a letter), got "${value}"`,
    );
  return value;
}

/** A whole number of at least `min`. */
export function wholeNumber(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, got ${value}`);
  return n;
}

/** A number of at least 0, or `fallback` when the flag was not given. */
export function nonNegative(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} must be a number ≥ 0, got ${value}`);
  return n;
}

/** Numbers of at least 0, separated by commas (`128,256,512`). */
export function numberList(value: string, flag: string): number[] {
  const list = value.split(",").map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n < 0))
    throw new UsageError(`${flag} takes numbers ≥ 0 separated by commas, got "${value}"`);
  return list;
}

/** One of a fixed set of values. */
export function oneOf<const T extends string>(value: string, flag: string, choices: ReadonlyArray<T>): T {
  if (!(choices as ReadonlyArray<string>).includes(value))
    throw new UsageError(
      `${flag} must be ${choices.join(", ").replace(/, ([^,]+)$/, " or $1")}, got ${value}`,
    );
  return value as T;
}

/** Repeated `Name=Value` flags (`--header`, `--query`) as a map of lists, in order. */
export function pairs(values: ReadonlyArray<string> | undefined, flag: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const value of values ?? []) {
    const at = value.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} takes Name=Value, got "${value}"`);
    const name = value.slice(0, at);
    out.set(name, [...(out.get(name) ?? []), value.slice(at + 1)]);
  }
  return out;
}

/** An event from a file, or from standard input for `-`. */
export function readEventFile(source: string): unknown {
  const where = source === "-" ? "on standard input" : `file ${source}`;
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
    throw new UsageError(`Event ${where} is not valid JSON: ${(error as Error).message}`);
  }
}

const TURBO_BUILD = [
  "run",
  "synth",
  "build",
  "--filter=@lambdaform/infra",
  // The console's front end, which pnpm dev serves.
  "--filter=@lambdaform/console",
  "--output-logs=errors-only",
  "--log-prefix=none",
];
const BUILD_FAILED = "build or synth failed (see above). Run `pnpm synth` to see why.";
const buildingLine =
  "lambdaform: building functions and synthesizing stacks (turbo; cached when unchanged)…\n";

/** Builds the functions and synthesizes the stacks through turbo (a cache hit when nothing changed). */
export function buildAndSynth(root: string): void {
  process.stderr.write(buildingLine);
  const result = spawnSync(join(root, "node_modules", ".bin", "turbo"), TURBO_BUILD, {
    cwd: root,
    encoding: "utf8",
    env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env },
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}\n`);
    throw new Error(BUILD_FAILED);
  }
}

/**
 * {@link buildAndSynth} in the background: `pnpm dev` starts moto meanwhile (turbo's 2 s even when
 * everything is cached, and moto's start with its state, overlap).
 */
export function buildAndSynthInBackground(root: string): Promise<void> {
  process.stderr.write(buildingLine);
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "node_modules", ".bin", "turbo"), TURBO_BUILD, {
      cwd: root,
      env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", (error) => reject(new Error(`turbo could not start: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve();
      process.stderr.write(`${output}\n`);
      reject(new Error(BUILD_FAILED));
    });
  });
}

/** Where a verb finds its stack: `--stack-dir`, or the stage's synthesized stack. */
export interface StackChoice {
  readonly stage: string;
  readonly "stack-dir"?: string;
}

/** The directory of the chosen stack (not checked). */
export function chosenStackDir(root: string, choice: StackChoice): string {
  return choice["stack-dir"] ?? stackDir(root, stageName(choice.stage));
}

/**
 * Reads the chosen stack.
 *
 * @throws {UnknownNameError} naming the synthesized stages when the stage has no stack.
 */
export function loadStack(root: string, choice: StackChoice): StackSpec {
  const dir = chosenStackDir(root, choice);
  if (!existsSync(join(dir, "cdk.tf.json"))) {
    const stacks = dirname(dir);
    const stages = existsSync(stacks)
      ? readdirSync(stacks)
          .filter((name) => name.startsWith("lambdaform-"))
          .map((name) => name.slice("lambdaform-".length))
          .sort()
      : [];
    throw new UnknownNameError("stage", choice.stage, stages, {
      lead: `No synthesized stack for stage "${choice.stage}" at ${dir} (run \`pnpm synth\`)`,
      label: "Synthesized stages",
    });
  }
  return readStack(dir);
}

/** Variables that point the SDK at an endpoint (`--endpoint-url`), or pass the caller's AWS settings through (`--aws`). */
export function endpointEnv(endpoint: string | undefined): Record<string, string> {
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

/** The runtime `invoke` and `dlq` use in this process: logs to stderr, source maps linked. */
export function cliRuntime(
  stack: StackSpec,
  root: string,
  options: {
    readonly dataDir?: string;
    /** What each function gets besides its own variables: endpoints and credentials. */
    readonly extraEnv?: (spec: FunctionSpec) => Record<string, string>;
    readonly pauses?: PauseMonitor;
  },
): LocalRuntime {
  return new LocalRuntime(stack, {
    dataDir: options.dataDir ?? defaultDataDir(root),
    extraEnv: options.extraEnv ?? (() => ({})),
    onLog: (line) => process.stderr.write(`${line}\n`),
    // The Lambda service's notices (a record the on-failure destination refused); metrics stay counted on the runtime.
    onEvent: (event) => {
      if (event.type === "notice") process.stderr.write(`lambdaform: ${event.level}: ${event.message}\n`);
    },
    sourceMap: sourceMapOf(root),
    pauses: options.pauses,
  });
}

/** A function's variables for calling the running local stack as itself (its own credentials, so IAM applies). */
export function localStackEnv(endpoint: string): (spec: FunctionSpec) => Record<string, string> {
  return (spec) => {
    const credentials = functionCredentials(spec.name);
    return {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
  };
}

/** The flag that sends a verb to AWS itself, with the caller's credentials. */
export const AWS_FLAG = { aws: { type: "boolean", default: false } } as const;

/**
 * The running `pnpm dev` of a stage, when there is one: its control client, after saying in one
 * line that the verb goes there.
 */
export function runningStack(
  root: string,
  choice: { readonly stage: string; readonly "data-dir"?: string },
): ControlClient | undefined {
  const stage = stageName(choice.stage);
  const client = ControlClient.forDevDir(devDataDir(choice["data-dir"] ?? defaultDataDir(root), stage));
  if (client)
    process.stderr.write(
      `lambdaform: using the local stack of \`pnpm dev\` for stage ${stage} (${client.endpoint})\n`,
    );
  return client;
}
