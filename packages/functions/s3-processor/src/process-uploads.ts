import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decodeS3Key, type Logger, type S3EventInput, type S3ObjectCreatedRecord } from "@lambdaform/shared";
import pLimit from "p-limit";
import { sequencerOrderKey } from "./sequencer.ts";

/** Row statuses, as stored in the table. */
export const ROW_STATUS = { processed: "processed", missing: "missing" } as const;
export type RowStatus = (typeof ROW_STATUS)[keyof typeof ROW_STATUS];

/** What happened to one record. */
export type RecordOutcome = "processed" | "missing" | "skipped-stale";

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

/** Thrown after every record was attempted, when any failed, so Lambda's retries and DLQ take over. */
export class RecordProcessingError extends Error {
  override readonly name = "RecordProcessingError";

  constructor(
    readonly failures: ReadonlyArray<RecordFailure>,
    total: number,
  ) {
    super(
      `${failures.length} of ${total} records failed: ${failures
        .map((f) => `Records[${f.index}] ${JSON.stringify(f.key)}: ${f.error.name}: ${f.error.message}`)
        .join("; ")}`,
    );
  }
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
  const key = decodeS3Key(record.s3.object.key);
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

/**
 * Processes every record of an S3 ObjectCreated event concurrently (bounded by `deps.concurrency`).
 * Every record is attempted; if any failed, one {@link RecordProcessingError} names each failed key.
 */
export async function processUploads(event: S3EventInput, deps: ProcessUploadsDeps): Promise<ProcessResult> {
  const limit = pLimit(deps.concurrency);
  const settled = await Promise.allSettled(
    event.Records.map((record) => limit(() => processRecord(record, deps))),
  );
  const failures: RecordFailure[] = [];
  const outcomes: RecordOutcome[] = [];
  settled.forEach((result, index) => {
    if (result.status === "fulfilled") {
      outcomes.push(result.value);
      return;
    }
    const error = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
    failures.push({ index, key: event.Records[index]?.s3.object.key ?? "?", error });
  });
  if (failures.length > 0) throw new RecordProcessingError(failures, event.Records.length);
  return {
    statusCode: 200,
    body: `Successfully processed ${event.Records.length} files`,
    outcomes,
  };
}
