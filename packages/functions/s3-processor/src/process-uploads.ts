import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { InvalidS3Record, Logger, S3EventInput, S3ObjectCreatedRecord } from "@lambdaform/shared";
import pLimit from "p-limit";
import { type Attribute, checkRecord, handleInvalid, optional, recordInvalid } from "./invalid-records.ts";
import { sequencerOrderKey } from "./sequencer.ts";

/** Row statuses, as stored in the table. */
export const ROW_STATUS = { processed: "processed", missing: "missing", invalid: "invalid" } as const;
export type RowStatus = (typeof ROW_STATUS)[keyof typeof ROW_STATUS];

/**
 * What happened to one record: a row written (`processed`, `missing`, `invalid`), a row left as it
 * was because one from the same or a newer event is there (`skipped-stale`), or no row at all because
 * the record names no key a row could have (`skipped-invalid`, logged).
 */
export const RECORD_OUTCOMES = [
  "processed",
  "missing",
  "invalid",
  "skipped-stale",
  "skipped-invalid",
] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];

export interface ProcessUploadsDeps {
  readonly s3: Pick<S3Client, "send">;
  readonly dynamodb: Pick<DynamoDBClient, "send">;
  readonly tableName: string;
  readonly concurrency: number;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** One failed record: where it was in the event, its key, and why. */
export interface RecordFailure {
  readonly index: number;
  readonly key: string;
  readonly error: Error;
}

/**
 * The longest message a {@link RecordProcessingError} carries, in bytes of UTF-8 (what SQS counts;
 * a length in characters lets three-byte characters triple it). Its message (twice: once more in
 * the stack trace) and the event make up the invocation record a dead-letter queue receives, which
 * must fit in one SQS message (256 KiB on older queues).
 */
export const MAX_ERROR_MESSAGE_BYTES = 8 * 1024;

/** Thrown after every record was attempted, when any failed, so Lambda's retries and DLQ take over. */
export class RecordProcessingError extends Error {
  override readonly name = "RecordProcessingError";

  constructor(
    readonly failures: ReadonlyArray<RecordFailure>,
    total: number,
  ) {
    super(failureSummary(failures, total));
  }
}

/** `N of M records failed: Records[i] "key": Error: …; …`, the first failures up to the cap, then how many more. */
function failureSummary(failures: ReadonlyArray<RecordFailure>, total: number): string {
  let message = `${failures.length} of ${total} records failed: `;
  let bytes = Buffer.byteLength(message);
  for (const [n, f] of failures.entries()) {
    const part = `${n > 0 ? "; " : ""}Records[${f.index}] ${JSON.stringify(f.key.slice(0, 200))}: ${f.error.name}: ${f.error.message.slice(0, 500)}`;
    const more = `; … and ${failures.length - n} more`;
    const partBytes = Buffer.byteLength(part);
    if (bytes + partBytes + Buffer.byteLength(more) > MAX_ERROR_MESSAGE_BYTES) return message + more;
    message += part;
    bytes += partBytes;
  }
  return message;
}

/** The seed's answer: `{ statusCode: 200, body: "Successfully processed N files" }`. */
export interface ProcessResult {
  readonly statusCode: 200;
  readonly body: string;
  /** Each record's outcome, in the event's order. */
  readonly outcomes: ReadonlyArray<RecordOutcome>;
  /** How many records had each outcome (every outcome named, zeros included). */
  readonly counts: Readonly<Record<RecordOutcome, number>>;
}

function isNotFound(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    candidate?.name === "NotFound" ||
    candidate?.name === "NoSuchKey" ||
    candidate?.$metadata?.httpStatusCode === 404
  );
}

/**
 * Records one uploaded object: HeadObject, then a conditional PutItem that only writes when no row
 * exists for the key or the stored row comes from an older event (lower sequencer). A replayed or
 * out-of-order event therefore never duplicates a row nor overwrites a newer one.
 */
async function processRecord(
  record: S3ObjectCreatedRecord,
  index: number,
  deps: ProcessUploadsDeps,
): Promise<RecordOutcome> {
  const bucket = record.s3.bucket.name;
  const checked = checkRecord(record, index);
  // Retrying cannot change the record: say why in a row instead.
  if ("problem" in checked)
    return recordInvalid({ index, key: checked.rowKey, bucket, record }, checked.problem, deps);
  const { key } = checked;
  const versionId = record.s3.object.versionId ?? undefined;
  const order = sequencerOrderKey(record.s3.object.sequencer);

  let status: RowStatus = ROW_STATUS.processed;
  let metadata: Record<string, Attribute> = {};
  try {
    const head = await deps.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
    );
    metadata = {
      file_size: { N: String(head.ContentLength ?? 0) },
      ...optional("last_modified", head.LastModified?.toISOString()),
      ...optional("etag", head.ETag?.replace(/"/g, "")),
      ...optional("content_type", head.ContentType),
      ...optional("version_id", head.VersionId ?? versionId),
    };
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // The object was deleted (or overwritten away) before we looked: record that, do not retry.
    status = ROW_STATUS.missing;
    metadata = {
      ...(record.s3.object.size === undefined ? {} : { file_size: { N: String(record.s3.object.size) } }),
      ...optional("etag", record.s3.object.eTag),
      ...optional("version_id", versionId),
    };
  }

  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.tableName,
        Item: {
          file_key: { S: key },
          bucket_name: { S: bucket },
          processed_at: { S: deps.now().toISOString() },
          status: { S: status },
          sequencer: { S: record.s3.object.sequencer },
          sequencer_order: { S: order },
          event_name: { S: record.eventName },
          event_time: { S: record.eventTime },
          ...metadata,
        },
        ConditionExpression: "attribute_not_exists(file_key) OR sequencer_order < :order",
        ExpressionAttributeValues: { ":order": { S: order } },
      }),
    );
  } catch (error) {
    if (
      error instanceof ConditionalCheckFailedException ||
      (error as Error)?.name === "ConditionalCheckFailedException"
    ) {
      deps.logger.info("skipped: a row from the same or a newer event exists", {
        file_key: key,
        sequencer: order,
      });
      return "skipped-stale";
    }
    throw error;
  }
  deps.logger.info("recorded upload", {
    file_key: key,
    bucket_name: bucket,
    status,
    sequencer: record.s3.object.sequencer,
  });
  return status;
}

/** An S3 event split into its valid records (with their places in the event) and its invalid ones. */
export interface SplitS3Event {
  readonly records: ReadonlyArray<{ readonly index: number; readonly record: S3ObjectCreatedRecord }>;
  readonly invalid: ReadonlyArray<InvalidS3Record>;
}

/**
 * Processes every record of an S3 ObjectCreated event concurrently (bounded by `deps.concurrency`).
 * Every record is attempted; if any failed, one {@link RecordProcessingError} names each failed key.
 */
export function processUploads(event: S3EventInput, deps: ProcessUploadsDeps): Promise<ProcessResult> {
  return processSplitEvent(
    { records: event.Records.map((record, index) => ({ index, record })), invalid: [] },
    deps,
  );
}

/**
 * {@link processUploads} for an event validated record by record: invalid records become rows (or
 * log lines) saying why, and the valid ones go on. Outcomes are in the event's record order; one
 * log line counts them.
 */
export async function processSplitEvent(
  event: SplitS3Event,
  deps: ProcessUploadsDeps,
): Promise<ProcessResult> {
  const limit = pLimit(deps.concurrency);
  const work = [
    ...event.records.map((r) => ({
      index: r.index,
      key: r.record.s3.object.key,
      run: () => processRecord(r.record, r.index, deps),
    })),
    ...event.invalid.map((r) => ({ index: r.index, key: keyOf(r.raw), run: () => handleInvalid(r, deps) })),
  ].sort((a, b) => a.index - b.index);
  const settled = await Promise.allSettled(work.map((item) => limit(item.run)));
  const failures: RecordFailure[] = [];
  const outcomes: RecordOutcome[] = [];
  settled.forEach((result, n) => {
    const item = work[n];
    if (!item) return;
    if (result.status === "fulfilled") {
      outcomes.push(result.value);
      return;
    }
    const error = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
    failures.push({ index: item.index, key: item.key, error });
  });
  const counts = countOutcomes(outcomes);
  deps.logger.info("processed event", { records: work.length, failed: failures.length, outcomes: counts });
  if (failures.length > 0) throw new RecordProcessingError(failures, work.length);
  return { statusCode: 200, body: `Successfully processed ${work.length} files`, outcomes, counts };
}

function countOutcomes(outcomes: ReadonlyArray<RecordOutcome>): Record<RecordOutcome, number> {
  const counts = Object.fromEntries(RECORD_OUTCOMES.map((o) => [o, 0])) as Record<RecordOutcome, number>;
  for (const outcome of outcomes) counts[outcome] += 1;
  return counts;
}

const keyOf = (raw: unknown) => {
  const key = (raw as { s3?: { object?: { key?: unknown } } } | null)?.s3?.object?.key;
  return typeof key === "string" ? key : "?";
};
