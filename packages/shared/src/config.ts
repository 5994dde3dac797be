import * as z from "zod/mini";

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
export type ConfigSpec = Readonly<Record<string, z.ZodMiniType<unknown, string | undefined>>>;

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
): { [K in keyof S]: z.output<S[K]> } {
  const result = z.object(spec).safeParse(env);
  if (result.success) return result.data as { [K in keyof S]: z.output<S[K]> };
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? "(unknown)");
  const missing = env[variable] === undefined || env[variable] === "";
  throw new ConfigError(
    variable,
    missing ? "is missing" : `is malformed: ${issue?.message ?? "invalid value"}`,
  );
}

/** A variable that must be set to a non-empty string. */
export function requiredString() {
  return z.string().check(z.minLength(1, "must not be empty"));
}

/** A variable with a default used when it is unset or empty. */
export function stringWithDefault(fallback: string) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined) => (value === undefined || value === "" ? fallback : value)),
  );
}

/** A variable holding a whole number in [min, max], with a default when unset. */
export function integerWithDefault(fallback: number, min: number, max: number) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, ctx) => {
      if (value === undefined || value === "") return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.issues.push({
          code: "custom",
          input: value,
          message: `expected a whole number from ${min} to ${max}, got "${value}"`,
        });
        return z.NEVER;
      }
      return parsed;
    }),
  );
}
