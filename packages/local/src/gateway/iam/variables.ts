/** Policy variables: `${key}`, `${key, 'default'}` and the escapes `${*}`, `${?}`, `${$}`. */

import type { RequestContext } from "./context.ts";
import type { Report } from "./types.ts";
import { type Pattern, plain } from "./wildcard.ts";

/**
 * A policy string after substitution: a pattern; `absent` when a variable has no value and no
 * default (then the string matches nothing, per "Policy variables with no value"); or `invalid`.
 */
export type Substituted =
  | { readonly kind: "pattern"; readonly pattern: Pattern }
  | { readonly kind: "absent"; readonly key: string }
  | { readonly kind: "invalid"; readonly reason: string };

const VARIABLE = /\$\{([^}]*)\}/g;
const ESCAPES = new Set(["*", "?", "$"]);
const KEY_AND_DEFAULT = /^\s*([^,']+?)\s*(?:,\s*'([^']*)'\s*)?$/;

/** Only this version knows variables: "variables such as `${aws:username}` … are instead treated as literal strings". */
export const variablesEnabled = (version: string | undefined): boolean => version === "2012-10-17";

/** Substitutes the variables of one policy string from the request context. */
export function substitute(text: string, context: RequestContext, enabled: boolean): Substituted {
  if (!enabled || !text.includes("${")) return { kind: "pattern", pattern: plain(text) };
  const pattern: Array<Pattern[number]> = [];
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const [whole, inner = ""] = match;
    if (match.index > last) pattern.push({ text: text.slice(last, match.index), literal: false });
    last = match.index + whole.length;
    if (ESCAPES.has(inner)) {
      pattern.push({ text: inner, literal: true });
      continue;
    }
    const parsed = KEY_AND_DEFAULT.exec(inner);
    if (!parsed?.[1]) return { kind: "invalid", reason: `malformed policy variable ${whole}` };
    const entry = context.get(parsed[1]);
    // "You cannot use a multivalued context key as a policy variable."
    if (entry?.multi) return { kind: "invalid", reason: `multivalued key ${parsed[1]} used as a variable` };
    const value = entry?.values[0] ?? parsed[2];
    if (value === undefined) return { kind: "absent", key: parsed[1] };
    pattern.push({ text: value, literal: true });
  }
  if (last < text.length) pattern.push({ text: text.slice(last), literal: false });
  return { kind: "pattern", pattern };
}

/**
 * Substitutes a Resource / NotResource entry. Variables work "only in the resource portion of the
 * ARN", after the fifth colon; before it they stay literal text (and are reported).
 */
export function substituteResource(
  text: string,
  context: RequestContext,
  enabled: boolean,
  report: Report,
): Substituted {
  let fifth = -1;
  for (let i = 0, colons = 0; i < text.length && fifth < 0; i++) {
    if (text[i] === ":" && ++colons === 5) fifth = i;
  }
  if (fifth < 0) return substitute(text, context, enabled);
  const prefix = text.slice(0, fifth + 1);
  if (enabled && prefix.includes("${")) {
    report(`policy variable before the fifth colon of ${text} (kept literal)`);
  }
  const rest = substitute(text.slice(fifth + 1), context, enabled);
  return rest.kind === "pattern" ? { kind: "pattern", pattern: [...plain(prefix), ...rest.pattern] } : rest;
}
