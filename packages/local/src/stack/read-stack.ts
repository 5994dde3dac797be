import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LOCAL_REGION } from "../identity.ts";
import { UnknownNameError } from "../names.ts";

/** Everything the runtime needs to run one function, read from the synthesized Terraform. */
export interface FunctionSpec {
  /** `function_name`, e.g. `lambdaform-dev-hello-api`. */
  readonly name: string;
  /** The short name users type, e.g. `hello-api` (the name without the stack prefix). */
  readonly shortName: string;
  readonly handler: string;
  readonly runtime: string;
  readonly architecture: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Environment variables as deployed, with references to literal attributes resolved. */
  readonly environment: Readonly<Record<string, string>>;
  readonly zipPath: string;
  readonly sourceCodeHash: string;
  /** Reserved concurrency when Terraform sets one (then excess invocations are throttled). */
  readonly reservedConcurrency?: number;
  readonly async: AsyncSettings;
}

/** Lambda's asynchronous invocation settings (defaults: 2 retries, 6 hours). */
export interface AsyncSettings {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  /** The on-failure destination, when configured. */
  readonly onFailure?: { readonly kind: "sqs"; readonly queueName: string } | undefined;
}

export const LAMBDA_ASYNC_DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 6 * 3600 } as const;

/** A synthesized stack: `cdktf.out/stacks/<name>/cdk.tf.json` and the directory its asset paths are relative to. */
export interface StackSpec {
  readonly name: string;
  readonly dir: string;
  readonly region: string;
  readonly functions: ReadonlyArray<FunctionSpec>;
  readonly json: TerraformJson;
}

type Resource = Record<string, unknown>;
type TerraformJson = {
  resource?: Record<string, Record<string, Resource>>;
  provider?: Record<string, Resource[]>;
};

const REFERENCE = /^\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z0-9_]+)\}$/;

/**
 * Resolves `${<type>.<id>.<attribute>}` to the attribute's literal value in the configuration, when
 * it is one (e.g. a table's `name`). Values only known after apply stay as they are.
 */
export function resolveReference(json: TerraformJson, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const match = REFERENCE.exec(value);
  if (!match) return value;
  const [, type, id, attribute] = match;
  const resource = json.resource?.[type ?? ""]?.[id ?? ""];
  const resolved = resource?.[attribute ?? ""];
  return typeof resolved === "string" || typeof resolved === "number" ? resolved : value;
}

function resourceByReference(json: TerraformJson, value: unknown): Resource | undefined {
  const match = typeof value === "string" ? REFERENCE.exec(value) : null;
  if (!match) return undefined;
  return json.resource?.[match[1] ?? ""]?.[match[2] ?? ""];
}

function asyncSettings(json: TerraformJson, functionId: string): AsyncSettings {
  const configs = Object.values(json.resource?.aws_lambda_function_event_invoke_config ?? {});
  const config = configs.find((c) =>
    String(c.function_name).startsWith(`\${aws_lambda_function.${functionId}.`),
  );
  if (!config) return { ...LAMBDA_ASYNC_DEFAULTS };
  const destination = (config.destination_config as { on_failure?: { destination?: string } } | undefined)
    ?.on_failure?.destination;
  const queue = resourceByReference(json, destination);
  return {
    maximumRetryAttempts: Number(config.maximum_retry_attempts ?? LAMBDA_ASYNC_DEFAULTS.maximumRetryAttempts),
    maximumEventAgeSeconds: Number(
      config.maximum_event_age_in_seconds ?? LAMBDA_ASYNC_DEFAULTS.maximumEventAgeSeconds,
    ),
    onFailure: queue && typeof queue.name === "string" ? { kind: "sqs", queueName: queue.name } : undefined,
  };
}

/** Reads a synthesized stack directory (`cdktf.out/stacks/<stack>`). */
export function readStack(stackDir: string): StackSpec {
  const dir = resolve(stackDir);
  const file = join(dir, "cdk.tf.json");
  if (!existsSync(file)) throw new Error(`No synthesized stack at ${file}. Run \`pnpm synth\` first.`);
  const json = JSON.parse(readFileSync(file, "utf8")) as TerraformJson;
  const name = dir.split("/").at(-1) ?? "stack";
  const region = String(json.provider?.aws?.[0]?.region ?? LOCAL_REGION);
  const functions = Object.entries(json.resource?.aws_lambda_function ?? {}).map(([id, fn]): FunctionSpec => {
    const functionName = String(fn.function_name);
    const variables = ((fn.environment as { variables?: Record<string, unknown> } | undefined)?.variables ??
      {}) as Record<string, unknown>;
    const environment = Object.fromEntries(
      Object.entries(variables).map(([key, value]) => [key, String(resolveReference(json, value))]),
    );
    const reserved = fn.reserved_concurrent_executions;
    return {
      name: functionName,
      shortName: functionName.startsWith(`${name}-`) ? functionName.slice(name.length + 1) : functionName,
      handler: String(fn.handler),
      runtime: String(fn.runtime),
      architecture: String((fn.architectures as string[] | undefined)?.[0] ?? "x86_64"),
      memoryMb: Number(fn.memory_size ?? 128),
      timeoutSeconds: Number(fn.timeout ?? 3),
      environment,
      zipPath: join(dir, String(fn.filename)),
      sourceCodeHash: String(fn.source_code_hash ?? ""),
      reservedConcurrency: typeof reserved === "number" && reserved >= 0 ? reserved : undefined,
      async: asyncSettings(json, id),
    };
  });
  return { name, dir, region, functions, json };
}

/** Finds a function by its full or short name, or throws an {@link UnknownNameError} listing the valid choices. */
export function findFunction(stack: StackSpec, name: string): FunctionSpec {
  const found = stack.functions.find((fn) => fn.name === name || fn.shortName === name);
  if (found) return found;
  throw new UnknownNameError(
    "function",
    name,
    stack.functions.map((fn) => fn.shortName),
    { where: `in stack ${stack.name}` },
  );
}
