import * as z from "zod/mini";
import { parseWith } from "./validation.ts";

// The schemas check only what our functions rely on, and let every other field through untouched:
// AWS adds fields over time, and a new field must never make a valid event "invalid".

const nonEmpty = () => z.string().check(z.minLength(1, "must be a non-empty string"));
const stringMap = () => z.nullish(z.record(z.string(), z.nullish(z.string())));

const apiGatewayProxyEventSchema = z.looseObject({
  httpMethod: nonEmpty(),
  path: z.string(),
  resource: z.optional(z.string()),
  headers: stringMap(),
  multiValueHeaders: z.nullish(z.record(z.string(), z.nullish(z.array(z.string())))),
  queryStringParameters: stringMap(),
  pathParameters: stringMap(),
  requestContext: z.looseObject({
    requestId: z.optional(z.string()),
    identity: z.optional(
      z.looseObject({
        sourceIp: z.nullish(z.string()),
        userAgent: z.nullish(z.string()),
      }),
    ),
  }),
});

const HEX = /^[0-9A-Fa-f]+$/;

const s3RecordSchema = z.looseObject({
  eventSource: z.literal("aws:s3", 'expected "aws:s3"'),
  eventName: z
    .string()
    .check(z.startsWith("ObjectCreated:", "expected an ObjectCreated:* event name, e.g. ObjectCreated:Put")),
  eventTime: nonEmpty(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: nonEmpty() }),
    object: z.looseObject({
      key: nonEmpty(),
      size: z.optional(z.number().check(z.nonnegative())),
      eTag: z.optional(z.string()),
      versionId: z.nullish(z.string()),
      sequencer: z.string().check(z.regex(HEX, "expected a hexadecimal sequencer")),
    }),
  }),
});

const s3EventSchema = z.looseObject({
  Records: z.array(s3RecordSchema).check(z.minLength(1, "expected at least one record")),
});

const scheduledEventSchema = z.looseObject({
  source: z.literal("aws.events", 'expected "aws.events"'),
  "detail-type": z.literal("Scheduled Event", 'expected "Scheduled Event"'),
  id: nonEmpty(),
  account: nonEmpty(),
  region: nonEmpty(),
  time: nonEmpty(),
  resources: z.array(z.string()),
});

// The parsed types are the validated subset of @types/aws-lambda's event types: every field named
// here has been checked, and the rest of the event is carried along unchanged.

/** A validated API Gateway REST proxy event (payload v1), a subset of `APIGatewayProxyEvent`. */
export type ApiGatewayProxyEventInput = z.output<typeof apiGatewayProxyEventSchema>;
/** A validated S3 notification event, a subset of `S3Event`. */
export type S3EventInput = z.output<typeof s3EventSchema>;
/** One validated ObjectCreated record, a subset of `S3EventRecord`; its `sequencer` is always present. */
export type S3ObjectCreatedRecord = S3EventInput["Records"][number];
/** A validated EventBridge Scheduled Event, a subset of `ScheduledEvent`. */
export type ScheduledEventInput = z.output<typeof scheduledEventSchema>;

/**
 * Validates an API Gateway REST (payload v1) Lambda proxy event.
 * Tolerates `headers: null` and the other null maps API Gateway sends when a request has none.
 *
 * @throws EventValidationError naming the bad field, e.g. `requestContext: expected object, received undefined`.
 */
export function parseApiGatewayProxyEvent(input: unknown): ApiGatewayProxyEventInput {
  return parseWith("API Gateway proxy event", apiGatewayProxyEventSchema, input);
}

/**
 * Validates an S3 ObjectCreated notification event.
 *
 * @example
 * parseS3Event({ Records: [{}] }); // throws: Invalid S3 event: Records[0].eventSource: expected "aws:s3"
 */
export function parseS3Event(input: unknown): S3EventInput {
  return parseWith("S3 event", s3EventSchema, input);
}

/** Validates an EventBridge "Scheduled Event" (the event of a `rate(...)` or `cron(...)` rule). */
export function parseScheduledEvent(input: unknown): ScheduledEventInput {
  return parseWith("EventBridge Scheduled Event", scheduledEventSchema, input);
}
