import { readFileSync } from "node:fs";
import type { S3Event } from "aws-lambda";

/** Loads a fixture from test/events, fresh each time so a test may modify it. */
export function loadEvent(name: string): S3Event {
  return JSON.parse(readFileSync(new URL(`./events/${name}.json`, import.meta.url), "utf8"));
}

/** A one-record ObjectCreated:Put event for `encodedKey` (as S3 encodes it) with the given sequencer. */
export function putEvent(bucket: string, encodedKey: string, sequencer: string, size = 14): S3Event {
  const event = loadEvent("s3-put");
  const [record] = event.Records;
  if (!record) throw new Error("fixture s3-put has no records");
  record.s3.bucket.name = bucket;
  record.s3.bucket.arn = `arn:aws:s3:::${bucket}`;
  record.s3.object = { key: encodedKey, size, eTag: "d41d8cd98f00b204e9800998ecf8427e", sequencer };
  return { Records: [record] };
}

/** A logger that drops everything (the core's log lines are asserted in the handler tests). */
export const silentLogger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
} as unknown as import("@lambdaform/shared").Logger;
