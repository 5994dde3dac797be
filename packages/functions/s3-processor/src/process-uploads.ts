import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  decodeS3Key,
  type InvalidS3Record,
  type Logger,
  type S3EventInput,
  type S3ObjectCreatedRecord,
} from "@lambdaform/shared";
import pLimit from "p-limit";
import { sequencerOrderKey } from "./sequencer.ts";

/** Row statuses, as stored in the table. */
export const ROW_STATUS = { processed: "processed", missing: "missing", invalid: "invalid" } as const;
export type RowStatus = (typeof ROW_STATUS)[keyof typeof ROW_STATUS];

/** What happened to one record. */
export type RecordOutcome = "processed" | "missing" | "invalid" | "skipped-stale" | "skipped-invalid";

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
 * The longest message a {@link RecordProcessingError} carries. Its message (twice: once more in the
 * stack trace) and the event make up the invocation record a dead-letter queue receives, which
 * must fit in one SQS message (256 KiB on older queues).
 */
export const MAX_ERROR_MESSAGE = 8 * 1024;

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
  for (const [n, f] of failures.entries()) {
    const part = `${n > 0 ? "; " : ""}Records[${f.index}] ${JSON.stringify(f.key.slice(0, 200))}: ${f.error.name}: ${f.error.message.slice(0, 500)}`;
    const more = `; … and ${failures.length - n} more`;
    if (message.length + part.length + more.length > MAX_ERROR_MESSAGE) return message + more;
    message += part;
  }
  return message;
}

/** The seed's answer: `{ statusCode: 200, body: "Successfully processed N files" }`. */
export interface ProcessResult {
  readonly statusCode: 200;
  readonly body: string;
  readonly outcomes: ReadonlyArray<RecordOutcome>;
}

function isNotFound(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    candidate?.name === "NotFound" ||
    candidate?.name === "NoSuchKey" ||
    candidate?.$metadata?.httpStatusCode === 404
  );
}

type Attribute = { S: string } | { N: string };

function optional(name: string, value: string | undefined | null): Record<string, Attribute> {
  return value === undefined || value === null || value === "" ? {} : { [name]: { S: value } };
}

/**
 * Records one uploaded object: HeadObject, then a conditional PutItem that only writes when no row
 * exists for the key or the stored row comes from an older event (lower sequencer). A replayed or
 * out-of-order event therefore never duplicates a row nor overwrites a newer one.
 */
async function processRecord(
  record: S3ObjectCreatedRecord,
  deps: ProcessUploadsDeps,
): Promise<RecordOutcome> {
  const bucket = record.s3.bucket.name;
  let key: string;
  try {
    key = decodeS3Key(record.s3.object.key);
  } catch {
    // A key that does not decode can never be read: record it as invalid rather than retry it.
    return recordInvalid(
      { key: record.s3.object.key, bucket, record },
      "s3.object.key has a malformed % escape, so the object cannot be named",
      deps,
    );
  }
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
  deps.logger.info("recorded upload", { file_key: key, bucket_name: bucket, status });
  return status;
}

/** What an invalid record still says: a key (raw, when it does not decode), a bucket, the fields it has. */
interface InvalidRow {
  readonly key: string;
  readonly bucket: string;
  readonly record: unknown;
}

/**
 * Writes a row with `status: "invalid"` and the reason, once: never over a row already there (an
 * earlier, valid event for the key wins).
 */
async function recordInvalid(
  row: InvalidRow,
  reason: string,
  deps: ProcessUploadsDeps,
): Promise<RecordOutcome> {
  const raw = row.record as {
    eventName?: unknown;
    eventTime?: unknown;
    s3?: { object?: { sequencer?: unknown } };
  };
  const text = (name: string, value: unknown) => (typeof value === "string" ? optional(name, value) : {});
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.tableName,
        Item: {
          file_key: { S: row.key },
          bucket_name: { S: row.bucket },
          processed_at: { S: deps.now().toISOString() },
          status: { S: ROW_STATUS.invalid },
          reason: { S: reason },
          ...text("event_name", raw?.eventName),
          ...text("event_time", raw?.eventTime),
          ...text("sequencer", raw?.s3?.object?.sequencer),
        },
        ConditionExpression: "attribute_not_exists(file_key)",
      }),
    );
  } catch (error) {
    if ((error as Error)?.name !== "ConditionalCheckFailedException") throw error;
    return "skipped-stale";
  }
  deps.logger.warn("recorded an invalid record", { file_key: row.key, bucket_name: row.bucket, reason });
  return "invalid";
}

/** An S3 event split into its valid records (with their places in the event) and its invalid ones. */
export interface SplitS3Event {
  readonly records: ReadonlyArray<{ readonly index: number; readonly record: S3ObjectCreatedRecord }>;
  readonly invalid: ReadonlyArray<InvalidS3Record>;
}

/**
 * An invalid record: a row saying why when it still names a bucket and a key, otherwise a log line
 * naming it. Neither is retried: the record can never succeed.
 */
function handleInvalid(invalid: InvalidS3Record, deps: ProcessUploadsDeps): Promise<RecordOutcome> {
  const raw = invalid.raw as { s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } } } | null;
  const key = raw?.s3?.object?.key;
  const bucket = raw?.s3?.bucket?.name;
  if (typeof key === "string" && key !== "" && typeof bucket === "string" && bucket !== "") {
    let decoded = key;
    try {
      decoded = decodeS3Key(key);
    } catch {
      // kept as received
    }
    return recordInvalid({ key: decoded, bucket, record: raw }, invalid.error.message, deps);
  }
  deps.logger.error("skipped a record that names no object", {
    record_index: invalid.index,
    reason: invalid.error.message,
  });
  return Promise.resolve("skipped-invalid");
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
 * log lines) saying why, and the valid ones go on. Outcomes are in the event's record order.
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
      run: () => processRecord(r.record, deps),
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
  if (failures.length > 0) throw new RecordProcessingError(failures, work.length);
  return { statusCode: 200, body: `Successfully processed ${work.length} files`, outcomes };
}

const keyOf = (raw: unknown) => {
  const key = (raw as { s3?: { object?: { key?: unknown } } } | null)?.s3?.object?.key;
  return typeof key === "string" ? key : "?";
};
