import {
  EventValidationError,
  errorResponse,
  getHeader,
  isWarmupEvent,
  jsonResponse,
  type Logger,
  parseApiGatewayProxyEvent,
  redactEvent,
  WARMUP_RESPONSE,
} from "@lambdaform/shared";
import type { APIGatewayProxyResult } from "aws-lambda";

export const HELLO_MESSAGE = "Hello from AWS Lambda!";
export const ALLOWED_METHODS = ["GET", "OPTIONS"] as const;
const ALLOW = ALLOWED_METHODS.join(", ");
const PREFLIGHT_HEADERS = "Content-Type, Authorization, X-Api-Key, X-Amz-Date, X-Amz-Security-Token";

/** What the core needs from its surroundings; tests pass their own. */
export interface AnswerHelloDeps {
  readonly corsOrigin: string;
  /** The Lambda request id, used when the event carries no API Gateway request id. */
  readonly awsRequestId: string;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** The body of a 200 answer: the seed's fields plus `request_id`. */
export interface HelloBody {
  readonly message: typeof HELLO_MESSAGE;
  readonly timestamp: string;
  readonly source_ip: string;
  readonly user_agent: string;
  readonly request_id: string;
  readonly event_received: unknown;
}

/**
 * Answers GET /hello (and its CORS preflight) for an API Gateway REST proxy event.
 * Never throws: a malformed event is a 400, any unexpected failure a 500 carrying the request id,
 * with details in the log only.
 */
export function answerHello(rawEvent: unknown, deps: AnswerHelloDeps): APIGatewayProxyResult {
  const options = { corsOrigin: deps.corsOrigin };
  let requestId = deps.awsRequestId;
  try {
    if (isWarmupEvent(rawEvent)) return { ...WARMUP_RESPONSE };
    const event = parseApiGatewayProxyEvent(rawEvent);
    requestId = event.requestContext.requestId ?? deps.awsRequestId;
    const method = event.httpMethod.toUpperCase();
    deps.logger.info("request", { method, path: event.path, request_id: requestId });

    if (method === "OPTIONS") {
      return {
        statusCode: 204,
        headers: {
          "Access-Control-Allow-Origin": deps.corsOrigin,
          "Access-Control-Allow-Methods": ALLOW,
          "Access-Control-Allow-Headers": PREFLIGHT_HEADERS,
          "Access-Control-Max-Age": "600",
        },
        body: "",
      };
    }
    if (method !== "GET") {
      return errorResponse(405, `Method ${method} not allowed on ${event.path}`, {
        ...options,
        headers: { Allow: ALLOW },
        extra: { request_id: requestId },
      });
    }
    const body: HelloBody = {
      message: HELLO_MESSAGE,
      timestamp: deps.now().toISOString(),
      source_ip: event.requestContext.identity?.sourceIp ?? "unknown",
      user_agent:
        getHeader(event.headers, "User-Agent") ?? event.requestContext.identity?.userAgent ?? "unknown",
      request_id: requestId,
      // The event as received (not the parsed copy), with credentials redacted.
      event_received: redactEvent(rawEvent as object),
    };
    return jsonResponse(200, body, options);
  } catch (error) {
    if (error instanceof EventValidationError) {
      deps.logger.warn("rejected event", { reason: error.message, request_id: requestId });
      return errorResponse(400, error.message, { ...options, extra: { request_id: requestId } });
    }
    deps.logger.error("unexpected failure", { error: error as Error, request_id: requestId });
    return errorResponse(500, "Internal server error", { ...options, extra: { request_id: requestId } });
  }
}
