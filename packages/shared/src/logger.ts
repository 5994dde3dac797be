import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";

export type { Logger } from "@aws-lambda-powertools/logger";

/**
 * Creates the structured JSON logger of a function (Powertools Logger).
 * Call {@link startInvocation} at the top of each invocation so every line carries the request id,
 * the function name and the cold-start flag.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** Attaches the invocation's Lambda context (request id, function name, cold start) to the logger. */
export function startInvocation(logger: Logger, context: Context): void {
  logger.addContext(context);
}
