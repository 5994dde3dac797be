export type { DevOptions, DevStack } from "./dev/dev.ts";
export { startDev } from "./dev/dev.ts";
export type { ObservedCall } from "./dev/gateway.ts";
export type { EventType } from "./events/index.ts";
export {
  apiGatewayProxyEvent,
  EVENT_TYPES,
  eventType,
  generateEvent,
  s3PutEvent,
  scheduledEvent,
} from "./events/index.ts";
export type { AsyncOutcome } from "./runtime/function-runtime.ts";
export { FunctionRuntime, ThrottledError } from "./runtime/function-runtime.ts";
export { LOCAL_ACCOUNT_ID, LocalRuntime } from "./runtime/local-runtime.ts";
export type { InvocationResult, LambdaError } from "./runtime/types.ts";
export type { FunctionSpec, StackSpec } from "./stack/read-stack.ts";
export { findFunction, readStack } from "./stack/read-stack.ts";
