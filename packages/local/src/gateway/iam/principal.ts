/** Principal and NotPrincipal: which callers a resource-based policy statement is about. */

import { roleArnOf } from "./context.ts";
import type { AuthzPrincipal, PolicyStatement, Report } from "./types.ts";

/** `123456789012` or `arn:aws:iam::123456789012:root`: "the account ARN and the shortened account ID behave the same way". */
const ACCOUNT = /^(?:(\d{12})|arn:aws[\w-]*:iam::(\d{12}):root)$/;
const ROOT = /^arn:aws[\w-]*:iam::(\d{12}):root$/;

const accountOf = (value: string): string | undefined => {
  const match = ACCOUNT.exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
};

/** Whether the caller is its account's root user. */
export const isRoot = (principal: AuthzPrincipal | undefined): boolean =>
  principal !== undefined &&
  principal.kind !== "service" &&
  principal.kind !== "anonymous" &&
  ROOT.exec(principal.arn)?.[1] === principal.account;

type Entry = readonly [type: string, value: string];

/** The element as (type, value) pairs; `"*"` as `["*", "*"]`. Malformed parts are reported and dropped. */
function entriesOf(element: unknown, report: Report, label: string): ReadonlyArray<Entry> {
  if (element === "*") return [["*", "*"]];
  if (typeof element !== "object" || element === null || Array.isArray(element)) {
    report(`${label}: a principal must be "*" or an object such as {"AWS": …}`);
    return [];
  }
  return Object.entries(element).flatMap(([type, values]): Entry[] => {
    const list: ReadonlyArray<unknown> = Array.isArray(values) ? values : [values];
    if (!["AWS", "Service", "Federated", "CanonicalUser"].includes(type)) {
      report(`${label}: unknown principal type ${type}`);
      return [];
    }
    return list.flatMap((value): Entry[] => {
      if (typeof value === "string") return [[type, value]];
      report(`${label}: principal ${JSON.stringify(value)} is not a string`);
      return [];
    });
  });
}

/**
 * Whether one Principal entry names the caller. An account principal delegates "authority to the
 * account": in a Deny it covers every identity of the account; in an Allow it grants only the root
 * user directly, and other identities still need an identity-based Allow (cases file, A2).
 */
function names([type, value]: Entry, principal: AuthzPrincipal, wholeAccount: boolean, report: Report) {
  if (type === "*") return true;
  if (type === "Service") return principal.kind === "service" && principal.service === value;
  // Federated and CanonicalUser principals are never an IAM caller.
  if (type !== "AWS" || principal.kind === "service") return false;
  // "For anonymous users, the following elements are equivalent": "*" and {"AWS": "*"}.
  if (value === "*") return true;
  if (principal.kind === "anonymous") return false;
  if (/[*?]/.test(value)) {
    report(`partial wildcard in principal ${value} (never matches: AWS rejects it)`);
    return false;
  }
  const account = accountOf(value);
  if (account !== undefined) return account === principal.account && (wholeAccount || isRoot(principal));
  // A role ARN covers its sessions: "the principal that makes the request is the IAM role session".
  return value === principal.arn || value === roleArnOf(principal);
}

/**
 * Whether NotPrincipal leaves the caller out. For a session AWS "might validate the account first,
 * then the role, and then the assumed-role user", so each link must be listed, account included
 * (else "the policy might deny access to the entire account").
 */
function excluded(entries: ReadonlyArray<Entry>, principal: AuthzPrincipal): boolean {
  if (entries.some(([type, value]) => type === "*" || (type === "AWS" && value === "*"))) {
    return principal.kind !== "service" || entries.some(([type]) => type === "*");
  }
  if (principal.kind === "service") {
    return entries.some(([t, v]) => t === "Service" && v === principal.service);
  }
  if (principal.kind === "anonymous") return false;
  const aws = entries.filter(([type]) => type === "AWS").map(([, value]) => value);
  const role = roleArnOf(principal);
  return (
    aws.some((value) => accountOf(value) === principal.account) &&
    (role === undefined || aws.includes(role)) &&
    (isRoot(principal) || aws.includes(principal.arn))
  );
}

/** Whether a resource-based policy statement (already checked to have one of the two) is about the caller. */
export function principalMatches(
  statement: PolicyStatement,
  principal: AuthzPrincipal,
  report: Report,
  label: string,
): boolean {
  if (statement.Principal !== undefined) {
    const wholeAccount = statement.Effect === "Deny";
    return entriesOf(statement.Principal, report, label).some((e) =>
      names(e, principal, wholeAccount, report),
    );
  }
  return !excluded(entriesOf(statement.NotPrincipal, report, label), principal);
}
