import {
  createLogger,
  isWarmupEvent,
  parseS3EventRecords,
  startInvocation,
  WARMUP_RESPONSE,
} from "@lambdaform/shared";
import type { Context } from "aws-lambda";
import { dynamodb, s3 } from "./clients.ts";
import { config } from "./config.ts";
import { processSplitEvent, RecordProcessingError } from "./process-uploads.ts";

const logger = createLogger("s3-processor");
const LOGGED_FAILED_KEYS = 20;

/**
 * Lambda entry point: S3 `ObjectCreated:*` notifications (invoked asynchronously).
 * Throws on a malformed event or a failed record, so Lambda retries and then sends the event to the
 * on-failure destination: nothing is lost.
 */
export async function handler(
  event: unknown,
  context: Context,
): Promise<{ statusCode: number; body: string }> {
  startInvocation(logger, context);
  if (isWarmupEvent(event)) return { ...WARMUP_RESPONSE };
  try {
    // Record by record: a record that can never succeed is recorded as invalid, not retried.
    const { statusCode, body } = await processSplitEvent(parseS3EventRecords(event), {
      s3,
      dynamodb,
      tableName: config.TABLE_NAME,
      concurrency: config.MAX_CONCURRENCY,
      now: () => new Date(),
      logger,
    });
    return { statusCode, body };
  } catch (error) {
    const failures = error instanceof RecordProcessingError ? error.failures : undefined;
    // The first keys only: one log line must stay well under CloudWatch's 256 KB per event.
    logger.error("processing failed", {
      error: error as Error,
      failed_count: failures?.length,
      failed_keys: failures?.slice(0, LOGGED_FAILED_KEYS).map((f) => f.key),
    });
    throw error;
  }
}
