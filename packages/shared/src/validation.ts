import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// zod/mini ships without messages ("Invalid input"); the English locale says what was expected.
z.config(en());

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

/** Parses `input` with `schema`, or throws an {@link EventValidationError} naming the first bad field. */
export function parseWith<S extends z.ZodMiniType>(kind: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new EventValidationError(kind, formatPath(issue?.path ?? []), issue?.message ?? "invalid");
}
