/**
 * The invocation record Lambda sends to an on-failure destination for an asynchronous event that
 * ended without a successful run, and the record as it fits the destination's message size.
 */
import type { InvocationRecord } from "./dead-letters.ts";
import type { InvocationResult } from "./types.ts";

/** The documented invocation record of an event that ended without a successful run. */
export function invocationRecord(ended: {
  readonly requestId: string;
  readonly functionArn: string;
  readonly event: unknown;
  readonly condition: InvocationRecord["requestContext"]["condition"];
  readonly attempts: number;
  readonly last: InvocationResult | undefined;
  /** When it ended (ms since the epoch). */
  readonly now: number;
}): InvocationRecord {
  return {
    version: "1.0",
    timestamp: new Date(ended.now).toISOString(),
    requestContext: {
      requestId: ended.requestId,
      functionArn: `${ended.functionArn}:$LATEST`,
      condition: ended.condition,
      approximateInvokeCount: ended.attempts,
    },
    requestPayload: ended.event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: ended.last?.payload ?? null,
  };
}

/**
 * The record as Lambda sends it to a queue of `limit` bytes a message: whole when it fits, else
 * without its request and response payloads (`bytes`: the whole record's size).
 *
 * @throws when even the record without its payloads does not fit.
 */
export function fitRecord(
  record: InvocationRecord,
  limit: number,
): { record: InvocationRecord; payloadsDropped: boolean; bytes: number } {
  const bytes = Buffer.byteLength(JSON.stringify(record));
  if (bytes <= limit) return { record, payloadsDropped: false, bytes };
  const { requestPayload: _request, responsePayload: _response, ...bare } = record;
  if (Buffer.byteLength(JSON.stringify(bare)) > limit)
    throw new Error(`the record is larger than the queue's maximum message size (${limit} bytes)`);
  return { record: bare, payloadsDropped: true, bytes };
}
