import * as v from "valibot";
import { type Output, type Schema, safeParse } from "./validation.ts";

/** A configuration error, raised at cold start, naming the variable at fault. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(
      `Configuration error: environment variable ${variable} ${reason}. Set it in the function's environment.`,
    );
  }
}

/** A map of environment variable names to the schema of their value. */
export type ConfigSpec = Readonly<Record<string, Schema<unknown>>>;

/**
 * Reads and validates a function's configuration from the environment. This is the one place in
 * the codebase that reads `process.env`; call it at module scope so a bad deploy fails at cold start.
 *
 * @example
 * const config = loadConfig({ TABLE_NAME: requiredString() });
 * config.TABLE_NAME; // string
 * @throws ConfigError naming the missing or malformed variable.
 */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { [K in keyof S]: Output<S[K]> } {
  const config: Record<string, unknown> = {};
  for (const [variable, schema] of Object.entries(spec)) {
    const result = safeParse(schema, env[variable]);
    if (result.success) {
      config[variable] = result.data;
      continue;
    }
    const missing = env[variable] === undefined || env[variable] === "";
    throw new ConfigError(variable, missing ? "is missing" : `is malformed: ${result.issue.reason}`);
  }
  return config as { [K in keyof S]: Output<S[K]> };
}

/** A variable that must be set to a non-empty string. */
export function requiredString(): Schema<string> {
  return v.pipe(v.string(), v.minLength(1, "must not be empty"));
}

/** A variable with a default used when it is unset or empty. */
export function stringWithDefault(fallback: string): Schema<string> {
  return v.pipe(
    v.optional(v.string()),
    v.transform((value) => (value === undefined || value === "" ? fallback : value)),
  );
}

/** A variable holding a whole number in [min, max], with a default when unset. */
export function integerWithDefault(fallback: number, min: number, max: number): Schema<number> {
  return v.pipe(
    v.optional(v.string()),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const value = dataset.value;
      if (value === undefined || value === "") return fallback;
      const parsed = Number(value);
      if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
      addIssue({ message: `expected a whole number from ${min} to ${max}, got "${value}"` });
      return NEVER;
    }),
  );
}
