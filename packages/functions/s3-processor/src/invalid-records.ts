import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  EventValidationError,
  formatPath,
  type InvalidS3Record,
  MAX_S3_KEY_BYTES,
  type S3ObjectCreatedRecord,
  tryDecodeS3Key,
} from "@lambdaform/shared";
import type { ProcessUploadsDeps, RecordOutcome } from "./process-uploads.ts";
import { SEQUENCER_WIDTH } from "./sequencer.ts";

// Records that can never succeed: found out, written as rows with status "invalid" and the reason,
// or logged and skipped when no row can be keyed by them. Never thrown into Lambda's retries.

export type Attribute = { S: string } | { N: string };

export function optional(name: string, value: string | undefined | null): Record<string, Attribute> {
  return value === undefined || value === null || value === "" ? {} : { [name]: { S: value } };
}

/**
 * The record's decoded object key, or why the record can never succeed: what the event schema
 * cannot check. `rowKey` is the key its invalid row gets (decoded when it decodes, else as received).
 */
export function checkRecord(
  record: S3ObjectCreatedRecord,
  index: number,
): { readonly key: string } | { readonly problem: string; readonly rowKey: string } {
  const encoded = record.s3.object.key;
  const key = tryDecodeS3Key(encoded);
  const at = (field: "key" | "sequencer", reason: string) => ({
    problem: new EventValidationError(
      "S3 event",
      formatPath(["Records", index, "s3", "object", field]),
      reason,
    ).message,
    rowKey: key ?? encoded,
  });
  if (key === undefined) return at("key", "has a malformed % escape, so the object cannot be named");
  if (Buffer.byteLength(key) > MAX_S3_KEY_BYTES)
    return at("key", `is longer than the ${MAX_S3_KEY_BYTES} bytes S3 allows, so no object has it`);
  if (record.s3.object.sequencer.length > SEQUENCER_WIDTH)
    return at("sequencer", `is longer than the ${SEQUENCER_WIDTH} digits sequencers are compared at`);
  return { key };
}

/** DynamoDB's limit on a partition key value: a longer `file_key` cannot be a row at all. */
const MAX_ROW_KEY_BYTES = 2048;

/** What an invalid record still says: its place, a key (raw, when it does not decode), maybe a bucket. */
interface InvalidRow {
  readonly index: number;
  readonly key: string;
  readonly bucket: string | undefined;
  readonly record: unknown;
}

/**
 * Writes a row with `status: "invalid"` and the reason, once: never over a row already there (an
 * earlier, valid event for the key wins). A key no row can have is logged and skipped instead.
 */
export async function recordInvalid(
  row: InvalidRow,
  reason: string,
  deps: ProcessUploadsDeps,
): Promise<RecordOutcome> {
  if (Buffer.byteLength(row.key) > MAX_ROW_KEY_BYTES)
    return skipUnkeyable(row.index, `${reason}; its key is longer than a row key may be`, deps);
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
          ...optional("bucket_name", row.bucket),
          processed_at: { S: deps.now().toISOString() },
          status: { S: "invalid" },
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
  deps.logger.warn("recorded an invalid record", {
    record_index: row.index,
    file_key: row.key,
    bucket_name: row.bucket,
    reason,
  });
  return "invalid";
}

/** A record no row can be keyed by: one structured log line naming its place and why, no row. */
function skipUnkeyable(index: number, reason: string, deps: ProcessUploadsDeps): RecordOutcome {
  deps.logger.error("skipped a record that names no object", { record_index: index, reason });
  return "skipped-invalid";
}

/**
 * A record that does not validate: a row saying why when it still names a key (the table is keyed
 * by `file_key` alone, so a missing bucket does not stop it), otherwise a log line naming it.
 * Neither is retried: the record can never succeed.
 */
export async function handleInvalid(
  invalid: InvalidS3Record,
  deps: ProcessUploadsDeps,
): Promise<RecordOutcome> {
  const raw = invalid.raw as { s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } } } | null;
  const key = raw?.s3?.object?.key;
  const bucket = raw?.s3?.bucket?.name;
  if (typeof key !== "string" || key === "") return skipUnkeyable(invalid.index, invalid.error.message, deps);
  return recordInvalid(
    {
      index: invalid.index,
      key: tryDecodeS3Key(key) ?? key,
      bucket: typeof bucket === "string" && bucket !== "" ? bucket : undefined,
      record: raw,
    },
    invalid.error.message,
    deps,
  );
}
