// Validation of events and configuration, on valibot: its schemas are plain objects of small
// functions, so building them at module scope costs next to nothing at cold init (zod's schema
// construction was most of a function's init; see `pnpm bench --only init` and docs/bench.md). What
// this module adds is the error: the first bad field's path in accessor notation, and a reason in
// the words the functions have always answered with (`Invalid input: expected string, received
// number`).
import * as v from "valibot";

/**
 * Raised when an event or a configuration does not have the expected shape.
 * `path` names the first bad field the way a reader would look it up, e.g. `Records[2].s3.object.key`.
 */
export class EventValidationError extends Error {
  override readonly name = "EventValidationError";

  constructor(
    readonly kind: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Invalid ${kind}: ${path || "(event)"}: ${reason}`);
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Formats a path of keys and indexes as JavaScript accessor notation.
 *
 * @example
 * formatPath(["Records", 2, "s3", "object", "key"]); // "Records[2].s3.object.key"
 * formatPath(["detail-type"]); // '["detail-type"]'
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (typeof part === "string" && IDENTIFIER.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/** Any valibot schema (a pipe included): what events and configuration are checked with. */
export type Schema<T = unknown> = v.GenericSchema<unknown, T>;
/** The type a schema returns. */
export type Output<S extends v.GenericSchema> = v.InferOutput<S>;

/** The first thing wrong with a value: where (keys and indexes from the top) and why. */
export interface Issue {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly reason: string;
}

/** What a value is: `undefined`, `null`, `array`, `NaN`, `object`, a class's name… */
export function typeName(input: unknown): string {
  if (typeof input === "number")
    return Number.isNaN(input) ? "NaN" : Number.isFinite(input) ? "number" : String(input);
  if (typeof input !== "object") return typeof input;
  if (input === null) return "null";
  if (Array.isArray(input)) return "array";
  const proto = Object.getPrototypeOf(input);
  if (proto !== null && proto !== Object.prototype && typeof proto.constructor === "function")
    return proto.constructor.name || "object";
  return "object";
}

type Inner = {
  readonly expects?: string;
  readonly entries?: Record<string, Inner>;
  readonly item?: Inner;
  readonly value?: Inner;
  readonly wrapped?: Inner;
};

/** The schema at `path` below `schema` (through objects, arrays, records and optional wrappers). */
function schemaAt(schema: Inner, path: ReadonlyArray<PropertyKey>): Inner | undefined {
  let at: Inner | undefined = schema;
  for (const key of path) {
    while (at?.wrapped) at = at.wrapped;
    at = at?.entries?.[String(key)] ?? at?.item ?? at?.value;
  }
  while (at?.wrapped) at = at.wrapped;
  return at;
}

const expectedName = (expects: string) =>
  expects === "Object" ? "object" : expects === "Array" ? "array" : expects;

/** A type issue without a message of ours, told as `Invalid input: expected X, received Y`. */
function reasonOf(root: Inner, issue: v.BaseIssue<unknown>, path: ReadonlyArray<PropertyKey>): string {
  if (issue.kind !== "schema")
    return `Invalid ${issue.type.replaceAll("_", " ")}: expected ${issue.expected}, received ${issue.received}`;
  // A missing key: valibot names the key; what was expected there is the key's own schema's type.
  const missing = issue.input === undefined && issue.expected === `"${String(path.at(-1))}"`;
  const expects = missing ? (schemaAt(root, path)?.expects ?? "a value") : (issue.expected ?? "a value");
  return `Invalid input: expected ${expectedName(expects)}, received ${typeName(issue.input)}`;
}

// The message valibot uses when a schema has none of its own: a marker, replaced by reasonOf().
const DEFAULT = "\u0000default";
const CONFIG = { abortEarly: true, message: () => DEFAULT } as const;

/** Checks `input` with `schema`: the value, or the first issue (its path and reason). */
export function safeParse<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
): { readonly success: true; readonly data: Output<S> } | { readonly success: false; readonly issue: Issue } {
  const result = v.safeParse(schema, input, CONFIG);
  if (result.success) return { success: true, data: result.output };
  const first = result.issues[0];
  const path = (first.path ?? []).map((item) => item.key as PropertyKey);
  const reason = first.message === DEFAULT ? reasonOf(schema as Inner, first, path) : first.message;
  return { success: false, issue: { path, reason } };
}

/** Parses `input` with `schema`, or throws an {@link EventValidationError} naming the first bad field. */
export function parseWith<S extends v.GenericSchema>(kind: string, schema: S, input: unknown): Output<S> {
  const result = safeParse(schema, input);
  if (result.success) return result.data;
  throw new EventValidationError(kind, formatPath(result.issue.path), result.issue.reason);
}
