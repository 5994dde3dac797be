import type { Context } from "aws-lambda";

// A structured JSON logger that writes the lines Powertools for AWS Lambda's Logger writes (the same
// keys: level, message, timestamp, service, cold_start, function_*, sampling_rate, xray_trace_id, then
// the call's own attributes; errors as { name, location, message, stack, cause }), and reads the same
// variables (AWS_LAMBDA_LOG_LEVEL, POWERTOOLS_LOG_LEVEL, LOG_LEVEL, POWERTOOLS_SERVICE_NAME). It
// replaced Powertools here because loading it (and node:crypto with it) was a third of hello-api's
// cold init; none of what it adds (sampling, buffering, child loggers, middleware) was in use.

/** Attributes a log line carries besides the standard keys. */
export type LogAttributes = Readonly<Record<string, unknown>>;

/** What functions log through: one JSON line per call, at or above the configured level. */
export interface Logger {
  debug(message: string, ...attributes: LogAttributes[]): void;
  info(message: string, ...attributes: LogAttributes[]): void;
  warn(message: string, ...attributes: LogAttributes[]): void;
  error(message: string, ...attributes: LogAttributes[]): void;
}

const LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;
type Level = keyof typeof LEVELS;
// The standard keys a call's attributes cannot replace: dropped with a warning, as Powertools does.
const RESERVED = new Set(["level", "message", "sampling_rate", "service", "timestamp"]);
const UNSAFE = new Set(["__proto__", "constructor"]);

const levelOf = (value: string | undefined): Level | undefined => {
  const name = value?.trim().toUpperCase();
  const level = name === "FATAL" ? "CRITICAL" : name;
  return level !== undefined && Object.hasOwn(LEVELS, level) ? (level as Level) : undefined;
};

/** The Powertools shape of an error, its cause included. */
function formatError(error: Error): Record<string, unknown> {
  const { name, message, stack, cause } = error;
  const formatted: Record<string, unknown> = {
    name,
    location: codeLocation(stack),
    message,
    stack,
    cause: cause instanceof Error ? formatError(cause) : cause,
  };
  for (const key in error)
    if (!["name", "message", "stack", "cause"].includes(key)) formatted[key] = (error as never)[key];
  return formatted;
}

function codeLocation(stack: string | undefined): string {
  for (const line of stack?.split("\n") ?? []) {
    const match = /\(([^()]*?):(\d+?):(\d+?)\)\\?$/.exec(line);
    if (match) return `${match[1]}:${Number(match[2])}`;
  }
  return "";
}

/** JSON.stringify's replacer: errors formatted, bigints as strings, circular references left out. */
function replacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (_key, value) {
    const out = value instanceof Error ? formatError(value) : value;
    if (typeof out === "bigint") return out.toString();
    if (typeof out === "object" && out !== null) {
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(out)) return undefined;
      ancestors.push(out);
    }
    return out;
  };
}

/** The X-Ray trace id of the current invocation (the `Root` of `_X_AMZN_TRACE_ID`). */
function xrayTraceId(): string | undefined {
  const header =
    (
      globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } }
    ).awslambda?.InvokeStore?.getXRayTraceId?.() ?? process.env._X_AMZN_TRACE_ID;
  if (!header) return undefined;
  if (!header.includes("=")) return header;
  for (const field of header.split(";")) {
    const [key, value] = field.split("=");
    if (key === "Root") return value;
  }
  return undefined;
}

/** The logger {@link createLogger} returns. */
export class FunctionLogger implements Logger {
  readonly service: string;
  readonly level: Level;
  #coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === "on-demand";
  #context: Record<string, unknown> = {};

  constructor(options: { readonly serviceName?: string; readonly logLevel?: string } = {}) {
    const env = process.env;
    this.service = options.serviceName || env.POWERTOOLS_SERVICE_NAME?.trim() || "service_undefined";
    // Lambda's advanced logging controls win, as in Powertools.
    this.level =
      levelOf(env.AWS_LAMBDA_LOG_LEVEL) ??
      levelOf(options.logLevel) ??
      levelOf(env.POWERTOOLS_LOG_LEVEL) ??
      levelOf(env.LOG_LEVEL) ??
      "INFO";
  }

  /** Attaches an invocation's context: every line until the next one carries its request id. */
  addContext(context: Context): void {
    const coldStart = this.#coldStart;
    this.#coldStart = false;
    this.#context = {
      cold_start: coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
      tenant_id: (context as { tenantId?: string }).tenantId,
    };
  }

  debug(message: string, ...attributes: LogAttributes[]): void {
    this.#write("DEBUG", message, attributes);
  }

  info(message: string, ...attributes: LogAttributes[]): void {
    this.#write("INFO", message, attributes);
  }

  warn(message: string, ...attributes: LogAttributes[]): void {
    this.#write("WARN", message, attributes);
  }

  error(message: string, ...attributes: LogAttributes[]): void {
    this.#write("ERROR", message, attributes);
  }

  #write(level: Level, message: string, attributes: ReadonlyArray<LogAttributes>): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    const context = this.#context;
    const line: Record<string, unknown> = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.service,
      cold_start: context.cold_start,
      function_arn: context.function_arn,
      function_memory_size: context.function_memory_size,
      function_name: context.function_name,
      function_request_id: context.function_request_id,
      sampling_rate: 0,
      xray_trace_id: xrayTraceId(),
      tenant_id: context.tenant_id,
    };
    for (const extra of attributes)
      for (const [key, value] of Object.entries(extra)) {
        if (RESERVED.has(key)) this.warn(`The key "${key}" is a reserved key and will be dropped.`);
        else if (!UNSAFE.has(key)) line[key] = value;
      }
    // As Powertools: no empty standard or top-level keys.
    for (const key of Object.keys(line))
      if (line[key] === undefined || line[key] === "" || line[key] === null) delete line[key];
    const text = `${JSON.stringify(line, replacer())}\n`;
    (LEVELS[level] >= LEVELS.WARN ? process.stderr : process.stdout).write(text);
  }
}

/**
 * Creates the structured JSON logger of a function.
 * Call {@link startInvocation} at the top of each invocation so every line carries the request id,
 * the function name and the cold-start flag.
 */
export function createLogger(serviceName: string): FunctionLogger {
  return new FunctionLogger({ serviceName });
}

/** Attaches the invocation's Lambda context (request id, function name, cold start) to the logger. */
export function startInvocation(logger: FunctionLogger, context: Context): void {
  logger.addContext(context);
}
