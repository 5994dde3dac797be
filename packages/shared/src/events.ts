import * as v from "valibot";
import { EventValidationError, formatPath, type Output, parseWith, safeParse } from "./validation.ts";

// The schemas check only what our functions rely on, and let every other field through untouched:
// AWS adds fields over time, and a new field must never make a valid event "invalid".

const nonEmpty = () => v.pipe(v.string(), v.minLength(1, "must be a non-empty string"));
const stringMap = () => v.nullish(v.record(v.string(), v.nullish(v.string())));

const apiGatewayProxyEventSchema = v.looseObject({
  httpMethod: nonEmpty(),
  path: v.string(),
  resource: v.optional(v.string()),
  headers: stringMap(),
  multiValueHeaders: v.nullish(v.record(v.string(), v.nullish(v.array(v.string())))),
  queryStringParameters: stringMap(),
  pathParameters: stringMap(),
  requestContext: v.looseObject({
    requestId: v.optional(v.string()),
    identity: v.optional(
      v.looseObject({
        sourceIp: v.nullish(v.string()),
        userAgent: v.nullish(v.string()),
      }),
    ),
  }),
});

const HEX = /^[0-9A-Fa-f]+$/;

const s3RecordSchema = v.looseObject({
  eventSource: v.literal("aws:s3", 'expected "aws:s3"'),
  eventName: v.pipe(
    v.string(),
    v.startsWith("ObjectCreated:", "expected an ObjectCreated:* event name, e.g. ObjectCreated:Put"),
  ),
  eventTime: nonEmpty(),
  s3: v.looseObject({
    bucket: v.looseObject({ name: nonEmpty() }),
    object: v.looseObject({
      key: nonEmpty(),
      size: v.optional(
        v.pipe(
          v.number(),
          v.finite("expected a finite number"),
          v.minValue(0, "Too small: expected number to be >=0"),
        ),
      ),
      eTag: v.optional(v.string()),
      versionId: v.nullish(v.string()),
      sequencer: v.pipe(v.string(), v.regex(HEX, "expected a hexadecimal sequencer")),
    }),
  }),
});

const s3EventSchema = v.looseObject({
  Records: v.pipe(v.array(s3RecordSchema), v.minLength(1, "expected at least one record")),
});

const scheduledEventSchema = v.looseObject({
  source: v.literal("aws.events", 'expected "aws.events"'),
  "detail-type": v.literal("Scheduled Event", 'expected "Scheduled Event"'),
  id: nonEmpty(),
  account: nonEmpty(),
  region: nonEmpty(),
  time: nonEmpty(),
  resources: v.array(v.string()),
});

// The parsed types are the validated subset of @types/aws-lambda's event types: every field named
// here has been checked, and the rest of the event is carried along unchanged.

/** A validated API Gateway REST proxy event (payload v1), a subset of `APIGatewayProxyEvent`. */
export type ApiGatewayProxyEventInput = Output<typeof apiGatewayProxyEventSchema>;
/** A validated S3 notification event, a subset of `S3Event`. */
export type S3EventInput = Output<typeof s3EventSchema>;
/** One validated ObjectCreated record, a subset of `S3EventRecord`; its `sequencer` is always present. */
export type S3ObjectCreatedRecord = S3EventInput["Records"][number];
/** A validated EventBridge Scheduled Event, a subset of `ScheduledEvent`. */
export type ScheduledEventInput = Output<typeof scheduledEventSchema>;

/**
 * Validates an API Gateway REST (payload v1) Lambda proxy event.
 * Tolerates `headers: null` and the other null maps API Gateway sends when a request has none.
 * The event's maps (`headers`, `queryStringParameters`, their multi-value forms, `pathParameters`,
 * `stageVariables`) come back as null-prototype objects holding exactly the event's own entries, so a
 * header named `__proto__`, `constructor` or `toString` is plain data, never an inherited member.
 *
 * @example
 * parseApiGatewayProxyEvent(JSON.parse('{"httpMethod":"GET","path":"/","requestContext":{},"headers":{"__proto__":{}}}'));
 * // throws: Invalid API Gateway proxy event: headers.__proto__: expected string, received object
 * @throws EventValidationError naming the bad field, e.g. `requestContext: expected object, received undefined`.
 */
export function parseApiGatewayProxyEvent(input: unknown): ApiGatewayProxyEventInput {
  const maps = ownMaps(input);
  const event = parseWith("API Gateway proxy event", apiGatewayProxyEventSchema, input);
  // The copies hold the same values the schema checked, with every own key kept.
  return { ...event, ...maps } as ApiGatewayProxyEventInput;
}

/** The event's maps of names to strings (or, for the multi-value ones, to lists of strings). */
const SINGLE_MAPS = ["headers", "queryStringParameters", "pathParameters", "stageVariables"] as const;
const MULTI_MAPS = ["multiValueHeaders", "multiValueQueryStringParameters"] as const;
type MapField = (typeof SINGLE_MAPS)[number] | (typeof MULTI_MAPS)[number];

/**
 * Checks every *own* entry of the event's maps, `__proto__` and `constructor` included, and returns
 * null-prototype copies of them. A JSON key `__proto__` is an own property of the parsed event,
 * which a schema that copies entries into a plain object never sees (the copy sets a prototype, or
 * drops the key) and would let through unchecked.
 */
function ownMaps(input: unknown): Partial<Record<MapField, Record<string, unknown>>> {
  const maps: Partial<Record<MapField, Record<string, unknown>>> = {};
  if (typeof input !== "object" || input === null) return maps;
  const event = input as Record<string, unknown>;
  const fail = (path: PropertyKey[], reason: string) => {
    throw new EventValidationError("API Gateway proxy event", formatPath(path), reason);
  };
  for (const field of [...SINGLE_MAPS, ...MULTI_MAPS]) {
    const map = Object.hasOwn(event, field) ? event[field] : undefined;
    if (map === undefined || map === null) continue;
    if (typeof map !== "object" || Array.isArray(map)) fail([field], "expected an object of names to values");
    const multi = (MULTI_MAPS as readonly string[]).includes(field);
    // No prototype: assigning `copy["__proto__"]` makes an own entry, as for any other name.
    const copy: Record<string, unknown> = Object.create(null);
    for (const [name, value] of Object.entries(map as object)) {
      if (value !== null && value !== undefined) {
        if (!multi && typeof value !== "string")
          fail([field, name], `expected string, received ${typeOf(value)}`);
        if (multi && !(Array.isArray(value) && value.every((v) => typeof v === "string")))
          fail([field, name], "expected an array of strings");
      }
      copy[name] = Array.isArray(value) ? [...value] : value;
    }
    maps[field] = copy;
  }
  return maps;
}

const typeOf = (value: unknown) => (Array.isArray(value) ? "array" : typeof value);

/**
 * Validates an S3 ObjectCreated notification event.
 *
 * @example
 * parseS3Event({ Records: [{}] }); // throws: Invalid S3 event: Records[0].eventSource: expected "aws:s3"
 */
export function parseS3Event(input: unknown): S3EventInput {
  return parseWith("S3 event", s3EventSchema, input);
}

/**
 * The most records one S3 event may carry here. AWS documents `Records` as an array, but S3 event
 * notifications carry one record each in practice; a longer list is a hand-made event. The cap keeps
 * an invocation bounded, and its dead letter too: the invocation record embeds the event, and must
 * fit in one SQS message (256 KiB on older queues).
 */
export const MAX_S3_RECORDS = 100;

const s3EnvelopeSchema = v.looseObject({
  Records: v.pipe(
    v.array(v.unknown()),
    v.minLength(1, "expected at least one record"),
    v.maxLength(MAX_S3_RECORDS, `expected at most ${MAX_S3_RECORDS} records (S3 sends one per event)`),
  ),
});

/** A record of an S3 event that does not validate: where it is, why, and the record as received. */
export interface InvalidS3Record {
  readonly index: number;
  readonly error: EventValidationError;
  readonly raw: unknown;
}

/**
 * Validates an S3 event record by record: the envelope must hold (a `Records` array of 1 to
 * {@link MAX_S3_RECORDS}), and each record is valid or reported on its own, so one bad record never
 * holds up the others.
 *
 * @throws EventValidationError when the envelope itself is wrong (no `Records`, too many).
 */
export function parseS3EventRecords(input: unknown): {
  readonly records: ReadonlyArray<{ readonly index: number; readonly record: S3ObjectCreatedRecord }>;
  readonly invalid: ReadonlyArray<InvalidS3Record>;
} {
  const envelope = parseWith("S3 event", s3EnvelopeSchema, input);
  const records: Array<{ index: number; record: S3ObjectCreatedRecord }> = [];
  const invalid: InvalidS3Record[] = [];
  envelope.Records.forEach((raw, index) => {
    const result = safeParse(s3RecordSchema, raw);
    if (result.success) {
      records.push({ index, record: result.data });
      return;
    }
    invalid.push({
      index,
      raw,
      error: new EventValidationError(
        "S3 event",
        formatPath(["Records", index, ...result.issue.path]),
        result.issue.reason,
      ),
    });
  });
  return { records, invalid };
}

/** Validates an EventBridge "Scheduled Event" (the event of a `rate(...)` or `cron(...)` rule). */
export function parseScheduledEvent(input: unknown): ScheduledEventInput {
  return parseWith("EventBridge Scheduled Event", scheduledEventSchema, input);
}
