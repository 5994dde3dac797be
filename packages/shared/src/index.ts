export type { ConfigSpec } from "./config.ts";
export { ConfigError, integerWithDefault, loadConfig, requiredString, stringWithDefault } from "./config.ts";
export type {
  ApiGatewayProxyEventInput,
  InvalidS3Record,
  S3EventInput,
  S3ObjectCreatedRecord,
  ScheduledEventInput,
} from "./events.ts";
export {
  MAX_S3_RECORDS,
  parseApiGatewayProxyEvent,
  parseS3Event,
  parseS3EventRecords,
  parseScheduledEvent,
} from "./events.ts";
export type { HeaderMap } from "./headers.ts";
export { getHeader } from "./headers.ts";
export type { LogAttributes, Logger } from "./logger.ts";
export { createLogger, FunctionLogger, startInvocation } from "./logger.ts";
export { REDACTED, redactEvent, SENSITIVE_HEADERS, SENSITIVE_QUERY } from "./redact.ts";
export type { ResponseOptions } from "./response.ts";
export { errorResponse, jsonResponse } from "./response.ts";
export { decodeS3Key, encodeS3Key, MAX_S3_KEY_BYTES, tryDecodeS3Key } from "./s3-key.ts";
export type { Issue, Output, Schema } from "./validation.ts";
export { EventValidationError, formatPath, parseWith, safeParse } from "./validation.ts";
export { isWarmupEvent, WARMUP_RESPONSE } from "./warmup.ts";
