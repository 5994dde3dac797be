/**
 * A small IAM policy evaluator for the local gateway: identity policies plus a resource policy,
 * Allow/Deny with explicit deny winning, Action and Resource with `*` and `?` wildcards, NotAction
 * and NotResource, and the condition operators this system uses. We wrote our own because moto's
 * check ignores Resource and Condition, and the well-known evaluator is AGPL (incompatible with MIT).
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | ReadonlyArray<string>;
  readonly NotAction?: string | ReadonlyArray<string>;
  readonly Resource?: string | ReadonlyArray<string>;
  readonly NotResource?: string | ReadonlyArray<string>;
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | ReadonlyArray<string>>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | ReadonlyArray<PolicyStatement>;
}

/** One request to authorise. */
export interface AuthzRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys and their values, e.g. `{ "cloudwatch:namespace": "Custom/EC2" }`. */
  readonly context: Readonly<Record<string, string | undefined>>;
}

export type Decision =
  | { readonly allowed: true; readonly statement: string }
  | { readonly allowed: false; readonly reason: "explicit-deny" | "no-allow"; readonly statement?: string };

const list = (value: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : typeof value === "string" ? [value] : value;

/** IAM wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, caseInsensitive ? "is" : "s").test(value);
}

const actionMatches = (patterns: ReadonlyArray<string>, action: string) =>
  patterns.some((p) => wildcardMatch(p, action, true));
const resourceMatches = (patterns: ReadonlyArray<string>, resource: string) =>
  patterns.some((p) => wildcardMatch(p, resource));

type Operator = (values: ReadonlyArray<string>, actual: string | undefined) => boolean;

const OPERATORS: Record<string, Operator> = {
  StringEquals: (values, actual) => actual !== undefined && values.includes(actual),
  StringNotEquals: (values, actual) => actual === undefined || !values.includes(actual),
  StringEqualsIgnoreCase: (values, actual) =>
    actual !== undefined && values.some((v) => v.toLowerCase() === actual.toLowerCase()),
  StringLike: (values, actual) => actual !== undefined && values.some((v) => wildcardMatch(v, actual)),
  StringNotLike: (values, actual) => actual === undefined || !values.some((v) => wildcardMatch(v, actual)),
  ArnEquals: (values, actual) => actual !== undefined && values.includes(actual),
  ArnLike: (values, actual) => actual !== undefined && values.some((v) => wildcardMatch(v, actual)),
  Bool: (values, actual) =>
    actual !== undefined && values.map((v) => v.toLowerCase()).includes(actual.toLowerCase()),
};

/** True when every condition of a statement holds; an unknown operator never holds (fail closed). */
function conditionsHold(statement: PolicyStatement, context: AuthzRequest["context"]): boolean {
  for (const [operatorName, keys] of Object.entries(statement.Condition ?? {})) {
    const ifExists = operatorName.endsWith("IfExists");
    const operator = OPERATORS[ifExists ? operatorName.slice(0, -"IfExists".length) : operatorName];
    if (!operator) return false;
    for (const [key, values] of Object.entries(keys)) {
      const actual =
        context[key] ??
        context[Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase()) ?? ""];
      if (ifExists && actual === undefined) continue;
      if (!operator(list(values), actual)) return false;
    }
  }
  return true;
}

function applies(statement: PolicyStatement, request: AuthzRequest): boolean {
  const actionOk = statement.NotAction
    ? !actionMatches(list(statement.NotAction), request.action)
    : actionMatches(list(statement.Action), request.action);
  if (!actionOk) return false;
  const resourceOk = statement.NotResource
    ? !resourceMatches(list(statement.NotResource), request.resource)
    : resourceMatches(list(statement.Resource ?? "*"), request.resource);
  return resourceOk && conditionsHold(statement, request.context);
}

const statements = (doc: PolicyDocument): ReadonlyArray<PolicyStatement> =>
  Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as PolicyStatement];

/**
 * Decides a request within one account: allowed when an identity policy or the resource policy
 * allows it and no statement of either denies it.
 */
export function evaluate(
  request: AuthzRequest,
  identityPolicies: ReadonlyArray<PolicyDocument>,
  resourcePolicy?: PolicyDocument,
): Decision {
  const all = [...identityPolicies, ...(resourcePolicy ? [resourcePolicy] : [])].flatMap(statements);
  const deny = all.find((s) => s.Effect === "Deny" && applies(s, request));
  if (deny) return { allowed: false, reason: "explicit-deny", statement: deny.Sid };
  const allow = all.find((s) => s.Effect === "Allow" && applies(s, request));
  return allow
    ? { allowed: true, statement: allow.Sid ?? "(no Sid)" }
    : { allowed: false, reason: "no-allow" };
}
