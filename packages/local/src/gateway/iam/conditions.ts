/**
 * The Condition element: every operator of AWS's "Condition operators" reference (String*, Numeric*,
 * Date*, Bool, BinaryEquals, IpAddress / NotIpAddress, Arn*, Null), the `…IfExists` suffix and the
 * `ForAnyValue:` / `ForAllValues:` set operators.
 */

import { Buffer } from "node:buffer";
import type { RequestContext } from "./context.ts";
import type { Match, PolicyStatement, Report } from "./types.ts";
import { substitute } from "./variables.ts";
import { arnMatch, type Pattern, patternRegExp, patternText, plain } from "./wildcard.ts";

/** Something the evaluator cannot compare (an unknown operator, a non-number for Numeric…). */
class Unevaluable extends Error {}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
function numberOf(text: string): number {
  if (!NUMBER.test(text)) throw new Unevaluable(`not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

// W3C ISO 8601 profiles (YYYY up to fractional seconds with a zone), or epoch seconds. A bare
// four-digit value is read as a year.
const ISO_8601 = /^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?$/;
const EPOCH = /^\d+(?:\.\d+)?$/;
function dateOf(text: string): number {
  if (EPOCH.test(text) && !/^\d{4}$/.test(text)) return Number(text) * 1000;
  const ms = ISO_8601.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new Unevaluable(`not an ISO 8601 date or epoch time: ${JSON.stringify(text)}`);
  return ms;
}

function boolOf(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower !== "true" && lower !== "false") throw new Unevaluable(`not a boolean: ${JSON.stringify(text)}`);
  return lower === "true";
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function binaryOf(text: string): Buffer {
  if (!BASE64.test(text)) throw new Unevaluable(`not base-64: ${JSON.stringify(text)}`);
  return Buffer.from(text, "base64");
}

interface Address {
  readonly v6: boolean;
  readonly value: bigint;
}

function ipv4(text: string): bigint | undefined {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)?.slice(1);
  if (!octets || octets.some((o) => Number(o) > 255)) return undefined;
  return octets.reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
}

function ipv6(text: string): bigint | undefined {
  let address = text;
  if (address.includes(".")) {
    // A trailing dotted quad (`::ffff:192.0.2.1`) is the last two groups.
    const cut = address.lastIndexOf(":") + 1;
    const v4 = ipv4(address.slice(cut));
    if (v4 === undefined) return undefined;
    address = `${address.slice(0, cut)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string | undefined) => (s ? s.split(":") : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return groups.reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

function addressOf(text: string): Address {
  const v4 = ipv4(text);
  if (v4 !== undefined) return { v6: false, value: v4 };
  const v6 = ipv6(text);
  if (v6 !== undefined) return { v6: true, value: v6 };
  throw new Unevaluable(`not an IP address: ${JSON.stringify(text)}`);
}

/** A CIDR block; without a prefix, one host ("IAM uses the default prefix value of /32"; /128 for IPv6). */
function cidrOf(text: string): { readonly address: Address; readonly prefix: number } {
  const [host = "", prefix, extra] = text.split("/");
  const address = addressOf(host);
  const bits = address.v6 ? 128 : 32;
  const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (extra !== undefined || !(length <= bits)) {
    throw new Unevaluable(`not a CIDR block: ${JSON.stringify(text)}`);
  }
  return { address, prefix: length };
}

function inBlock(block: string, ip: string): boolean {
  const { address, prefix } = cidrOf(block);
  const actual = addressOf(ip);
  if (actual.v6 !== address.v6) return false;
  const shift = BigInt((address.v6 ? 128 : 32) - prefix);
  return address.value >> shift === actual.value >> shift;
}

interface Operator {
  /** Does the request value match this one policy value? */
  readonly compare: (policy: Pattern, actual: string) => boolean;
  /** Whether policy variables are substituted in its values (String, ARN and Bool only). */
  readonly variables: boolean;
  /** Rejects a malformed policy value up front, so it is reported even when the key is absent. */
  readonly check?: (policy: string) => unknown;
}

const text = patternText;
const numeric = (test: (actual: number, policy: number) => boolean): Operator => ({
  compare: (p, a) => test(numberOf(a), numberOf(text(p))),
  variables: false,
  check: numberOf,
});
const dated = (test: (actual: number, policy: number) => boolean): Operator => ({
  compare: (p, a) => test(dateOf(a), dateOf(text(p))),
  variables: false,
  check: dateOf,
});
const arn: Operator = { compare: arnMatch, variables: true };

/** The positive operators; a negated one is the NOR of its positive over the policy values. */
const OPERATORS = new Map<string, Operator>([
  ["StringEquals", { compare: (p, a) => text(p) === a, variables: true }],
  [
    "StringEqualsIgnoreCase",
    { compare: (p, a) => text(p).toLowerCase() === a.toLowerCase(), variables: true },
  ],
  ["StringLike", { compare: (p, a) => patternRegExp(p).test(a), variables: true }],
  ["NumericEquals", numeric((a, p) => a === p)],
  ["NumericLessThan", numeric((a, p) => a < p)],
  ["NumericLessThanEquals", numeric((a, p) => a <= p)],
  ["NumericGreaterThan", numeric((a, p) => a > p)],
  ["NumericGreaterThanEquals", numeric((a, p) => a >= p)],
  ["DateEquals", dated((a, p) => a === p)],
  ["DateLessThan", dated((a, p) => a < p)],
  ["DateLessThanEquals", dated((a, p) => a <= p)],
  ["DateGreaterThan", dated((a, p) => a > p)],
  ["DateGreaterThanEquals", dated((a, p) => a >= p)],
  ["Bool", { compare: (p, a) => boolOf(text(p)) === boolOf(a), variables: true, check: boolOf }],
  [
    "BinaryEquals",
    { compare: (p, a) => binaryOf(text(p)).equals(binaryOf(a)), variables: false, check: binaryOf },
  ],
  ["IpAddress", { compare: (p, a) => inBlock(text(p), a), variables: false, check: cidrOf }],
  ["ArnEquals", arn],
  ["ArnLike", arn],
]);

const NEGATIONS = new Map([
  ["StringNotEquals", "StringEquals"],
  ["StringNotEqualsIgnoreCase", "StringEqualsIgnoreCase"],
  ["StringNotLike", "StringLike"],
  ["NumericNotEquals", "NumericEquals"],
  ["DateNotEquals", "DateEquals"],
  ["NotIpAddress", "IpAddress"],
  ["ArnNotEquals", "ArnEquals"],
  ["ArnNotLike", "ArnLike"],
]);

const SET_OPERATOR = /^(ForAnyValue|ForAllValues):(.+)$/;

function valuesOf(raw: unknown): ReadonlyArray<string> {
  const list: ReadonlyArray<unknown> = Array.isArray(raw) ? raw : [raw];
  return list.map((value) => {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      return String(value);
    }
    throw new Unevaluable(`not a string, number or boolean: ${JSON.stringify(value)}`);
  });
}

/** One operator on one key. */
function holds(operatorName: string, key: string, raw: unknown, context: RequestContext, variables: boolean) {
  const [, set, rest = operatorName] = SET_OPERATOR.exec(operatorName) ?? [];
  const ifExists = rest.endsWith("IfExists");
  const base = ifExists ? rest.slice(0, -"IfExists".length) : rest;
  const values = valuesOf(raw);
  const entry = context.get(key);
  if (base === "Null") {
    // "You can add IfExists to the end of any condition operator name except the Null condition".
    if (set || ifExists) throw new Unevaluable(`${operatorName} is not an operator`);
    const absent = !entry || entry.values.length === 0;
    return values.map(boolOf).some((isNull) => isNull === absent);
  }
  const operator = OPERATORS.get(NEGATIONS.get(base) ?? base);
  if (!operator) throw new Unevaluable(`unknown condition operator ${operatorName}`);
  const negated = NEGATIONS.has(base);
  // A variable with no value matches nothing, so a negated operator holds for it.
  const policy = values.map((value): Pattern | undefined => {
    if (!operator.variables) {
      operator.check?.(value);
      return plain(value);
    }
    const substituted = substitute(value, context, variables);
    if (substituted.kind === "invalid") throw new Unevaluable(substituted.reason);
    if (substituted.kind === "absent") return undefined;
    operator.check?.(text(substituted.pattern));
    return substituted.pattern;
  });
  const matchesOne = (actual: string) => {
    const matched = policy.some((p) => p !== undefined && operator.compare(p, actual));
    return negated ? !matched : matched;
  };
  const actual = entry?.values ?? [];
  if (set) {
    // An empty set or an absent key: ForAllValues holds, ForAnyValue does not (SVMV).
    const members = actual.length === 1 && actual[0] === "" ? [] : actual;
    if (members.length === 0) return ifExists || set === "ForAllValues";
    return set === "ForAllValues" ? members.every(matchesOne) : members.some(matchesOne);
  }
  // Absent key: IfExists holds; otherwise only a negated operator holds (OPS, the Important box).
  const [only, ...more] = actual;
  if (only === undefined) return ifExists || negated;
  if (more.length > 0) {
    throw new Unevaluable(`${key} has several values; ${operatorName} needs ForAnyValue: or ForAllValues:`);
  }
  return matchesOne(only);
}

/** Logical AND over three-valued matches: false wins, then unknown. */
export const and = (a: Match, b: Match): Match =>
  a === false || b === false ? false : a === "unknown" || b === "unknown" ? "unknown" : true;

/**
 * Whether a statement's conditions hold: operators and keys are AND-ed, the values of a key OR-ed.
 * Every element is evaluated (no short cut) so that all that cannot be evaluated is reported.
 */
export function conditionsHold(
  statement: PolicyStatement,
  context: RequestContext,
  variables: boolean,
  report: Report,
  label: string,
): Match {
  let result: Match = true;
  for (const [operatorName, keys] of Object.entries(statement.Condition ?? {})) {
    if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
      report(`${label}: ${operatorName} must map condition keys to values`);
      result = and(result, "unknown");
      continue;
    }
    for (const [key, raw] of Object.entries(keys)) {
      try {
        result = and(result, holds(operatorName, key, raw, context, variables));
      } catch (error) {
        if (!(error instanceof Unevaluable)) throw error;
        report(`${label}: ${operatorName} on ${key}: ${error.message}`);
        result = and(result, "unknown");
      }
    }
  }
  return result;
}
