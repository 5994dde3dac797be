/** The decision: explicit deny wins, then any allow, else the implicit deny. */

import { and, conditionsHold } from "./conditions.ts";
import { RequestContext } from "./context.ts";
import { isRoot, principalMatches } from "./principal.ts";
import type { AuthzRequest, Decision, Match, PolicyDocument, PolicyStatement, Report } from "./types.ts";
import { substituteResource, variablesEnabled } from "./variables.ts";
import { patternRegExp, wildcardMatch } from "./wildcard.ts";

/** A statement with where it came from. */
interface Located {
  readonly statement: PolicyStatement;
  readonly variables: boolean;
  readonly source: "identity" | "resource";
  readonly label: string;
}

const listOf = (value: unknown): ReadonlyArray<string> =>
  (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");

function locate(
  document: PolicyDocument,
  source: Located["source"],
  where: string,
  report: Report,
): ReadonlyArray<Located> {
  const raw: unknown = document?.Statement;
  const list: ReadonlyArray<unknown> = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (raw === undefined) report(`${where} has no Statement`);
  return list.flatMap((statement, i): Located[] => {
    if (typeof statement !== "object" || statement === null) {
      report(`statement #${i + 1} in ${where} is not an object`);
      return [];
    }
    const s = statement as PolicyStatement;
    const label = `statement ${s.Sid ? JSON.stringify(s.Sid) : `#${i + 1}`} in ${where}`;
    return [{ statement: s, variables: variablesEnabled(document.Version), source, label }];
  });
}

/** Why AWS would reject the statement (then it never applies), or undefined when it is well formed. */
function invalidity({ statement: s, source }: Located): string | undefined {
  // "The Effect value is case sensitive."
  if (s.Effect !== "Allow" && s.Effect !== "Deny") return `Effect ${JSON.stringify(s.Effect)}`;
  const one = (a: unknown, b: unknown) => (a === undefined) !== (b === undefined);
  if (!one(s.Action, s.NotAction)) return "needs exactly one of Action, NotAction";
  if (!one(s.Resource, s.NotResource)) return "needs exactly one of Resource, NotResource";
  const named = s.Principal !== undefined || s.NotPrincipal !== undefined;
  if (source === "identity" && named) return "Principal or NotPrincipal in an identity-based policy";
  if (source === "resource" && !one(s.Principal, s.NotPrincipal)) {
    return "needs exactly one of Principal, NotPrincipal";
  }
  if (s.NotPrincipal !== undefined && s.Effect === "Allow") return "NotPrincipal with Allow";
  return undefined;
}

const or = (a: Match, b: Match): Match =>
  a === true || b === true ? true : a === "unknown" || b === "unknown" ? "unknown" : false;
const not = (a: Match): Match => (a === "unknown" ? a : !a);

/**
 * Whether any Resource / NotResource entry matches. An entry whose variable has no value matches
 * nothing ("will not match any resource"); in NotResource that would widen the statement, so there
 * it counts as unknown (`absent`) and the statement fails safe.
 */
function resourceMatches(
  entries: ReadonlyArray<string>,
  absent: Match,
  { variables, label }: Located,
  resource: string,
  context: RequestContext,
  report: Report,
): Match {
  let result: Match = false;
  for (const entry of entries) {
    // "You can't use a wildcard in the service segment".
    if (/^arn:[^:]*:[^:]*[*?]/.test(entry)) {
      report(`${label}: wildcard in the service segment of ${entry} (never matches)`);
      continue;
    }
    const substituted = substituteResource(entry, context, variables, (issue) =>
      report(`${label}: ${issue}`),
    );
    if (substituted.kind === "invalid") report(`${label}: ${substituted.reason}`);
    const match: Match =
      substituted.kind === "pattern"
        ? patternRegExp(substituted.pattern).test(resource)
        : substituted.kind === "absent"
          ? absent
          : "unknown";
    result = or(result, match);
  }
  return result;
}

/** Whether a statement applies to the request; what cannot be evaluated counts for a Deny only. */
function applies(located: Located, request: AuthzRequest, context: RequestContext, report: Report): boolean {
  const invalid = invalidity(located);
  if (invalid) {
    report(`${located.label}: invalid, ignored: ${invalid}`);
    return false;
  }
  const s = located.statement;
  const actions = listOf(s.NotAction ?? s.Action);
  const actionMatched = actions.some((pattern) => wildcardMatch(pattern, request.action, true));
  if (actionMatched === (s.NotAction !== undefined)) return false;
  let match: Match =
    s.NotResource !== undefined
      ? not(resourceMatches(listOf(s.NotResource), "unknown", located, request.resource, context, report))
      : resourceMatches(listOf(s.Resource), false, located, request.resource, context, report);
  if (match === false) return false;
  if (located.source === "resource" && request.principal) {
    if (!principalMatches(s, request.principal, report, located.label)) return false;
  }
  match = and(match, conditionsHold(s, context, located.variables, report, located.label));
  return match === "unknown" ? s.Effect === "Deny" : match;
}

/**
 * Decides a request within one account: allowed when an identity policy or the resource policy
 * allows it (or the caller is the account's root user) and no statement of either denies it.
 */
export function evaluate(
  request: AuthzRequest,
  identityPolicies: ReadonlyArray<PolicyDocument>,
  resourcePolicy?: PolicyDocument,
): Decision {
  const issues = new Set<string>();
  const report: Report = (issue) => issues.add(issue);
  const context = new RequestContext(request);
  const all = [
    ...identityPolicies.flatMap((doc, i) =>
      locate(
        doc,
        "identity",
        identityPolicies.length > 1 ? `identity policy ${i + 1}` : "the identity policy",
        report,
      ),
    ),
    ...(resourcePolicy ? locate(resourcePolicy, "resource", "the resource policy", report) : []),
  ];
  // Every statement is evaluated, not just up to the first match, so that all issues are reported.
  const applying = all.filter((located) => applies(located, request, context, report));
  const extra = issues.size > 0 ? { unsupported: [...issues] } : {};
  const deny = applying.find((l) => l.statement.Effect === "Deny");
  if (deny) return { allowed: false, reason: "explicit-deny", statement: deny.statement.Sid, ...extra };
  const allow = applying.find((l) => l.statement.Effect === "Allow");
  if (allow) return { allowed: true, statement: allow.statement.Sid ?? "(no Sid)", ...extra };
  // "All requests are implicitly denied with the exception of the AWS account root user".
  if (isRoot(request.principal)) return { allowed: true, statement: "(account root user)", ...extra };
  return { allowed: false, reason: "no-allow", ...extra };
}
