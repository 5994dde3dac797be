/**
 * IAM policy documents as the baseline's rules read them: `aws_iam_policy_document` data sources
 * and JSON text alike, and every place the stack grants permissions.
 */
import { blocks, isObject, isSet, type Json, list, type Stack, strings } from "./stack-json.ts";

export interface Principal {
  readonly type: string;
  readonly identifiers: string[];
}
export interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: string[];
}
export interface Statement {
  /** The Sid, or `#<n>` for a statement without one. */
  readonly sid: string;
  readonly effect: string;
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
  readonly principals: Principal[];
  readonly notPrincipals: Principal[];
  readonly conditions: Condition[];
}
export type Policy = { readonly statements: Statement[] } | { readonly unreadable: string };

function fromDocumentBlock(s: Json, index: number): Statement {
  const principals = (v: unknown) =>
    blocks(v).map((p) => ({ type: String(p.type), identifiers: strings(p.identifiers) }));
  return {
    sid: isSet(s.sid) ? s.sid : `#${index + 1}`,
    effect: String(s.effect ?? "Allow"),
    actions: strings(s.actions),
    notActions: strings(s.not_actions),
    resources: strings(s.resources),
    notResources: strings(s.not_resources),
    principals: principals(s.principals),
    notPrincipals: principals(s.not_principals),
    conditions: blocks(s.condition).map((c) => ({
      test: String(c.test),
      variable: String(c.variable),
      values: strings(c.values),
    })),
  };
}

function fromPolicyJson(s: Json, index: number): Statement {
  const principals = (v: unknown): Principal[] =>
    v === undefined
      ? []
      : typeof v === "string"
        ? [{ type: v === "*" ? "*" : "AWS", identifiers: [v] }]
        : isObject(v)
          ? Object.entries(v).map(([type, ids]) => ({ type, identifiers: strings(ids) }))
          : [{ type: "?", identifiers: strings(v) }];
  const condition = isObject(s.Condition) ? s.Condition : {};
  return {
    sid: isSet(s.Sid) ? s.Sid : `#${index + 1}`,
    effect: String(s.Effect ?? "Allow"),
    actions: strings(s.Action),
    notActions: strings(s.NotAction),
    resources: strings(s.Resource),
    notResources: strings(s.NotResource),
    principals: principals(s.Principal),
    notPrincipals: principals(s.NotPrincipal),
    conditions: Object.entries(condition).flatMap(([test, variables]) =>
      isObject(variables)
        ? Object.entries(variables).map(([variable, values]) => ({ test, variable, values: strings(values) }))
        : [],
    ),
  };
}

/** A policy attribute's statements, if the synthesized stack spells them out. */
export function readPolicy(stack: Stack, value: unknown): Policy {
  const doc = /^\$\{data\.aws_iam_policy_document\.([^.\s{}]+)\.(?:json|minified_json)\}$/.exec(
    String(value),
  );
  if (doc?.[1]) {
    const name = `data.aws_iam_policy_document.${doc[1]}`;
    const body = stack.dataSource("aws_iam_policy_document", doc[1]);
    if (!body) return { unreadable: `${name} is not in the stack` };
    const merged = ["source_policy_documents", "override_policy_documents", "source_json", "override_json"];
    const merges = merged.filter((k) => list(body[k]).length > 0);
    if (merges.length > 0) return { unreadable: `${name} merges other documents (${merges.join(", ")})` };
    if (body.dynamic !== undefined) return { unreadable: `${name} has dynamic statements` };
    if (typeof body.statement === "string") return { unreadable: `${name}'s statements are an expression` };
    return { statements: blocks(body.statement).map(fromDocumentBlock) };
  }
  if (typeof value === "string" && !value.includes("${")) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isObject(parsed)) return { statements: blocks(parsed.Statement).map(fromPolicyJson) };
    } catch {
      // not JSON: falls through
    }
  }
  const text = String(value);
  return {
    unreadable: `${text.length > 80 ? `${text.slice(0, 77)}...` : text} is no document this check can read`,
  };
}

export const sid = (s: Statement) => JSON.stringify(s.sid);

/** Where permissions are granted: identity policies and resource policies (trust policies are not). */
const PERMISSION_POLICIES: ReadonlyArray<readonly [type: string, attribute: string]> = [
  ["aws_iam_role_policy", "policy"],
  ["aws_iam_policy", "policy"],
  ["aws_iam_user_policy", "policy"],
  ["aws_iam_group_policy", "policy"],
  ["aws_s3_bucket_policy", "policy"],
  // A queue's policy may be set on the queue itself (aws_sqs_queue.policy) or as its own resource.
  ["aws_sqs_queue", "policy"],
  ["aws_sqs_queue_policy", "policy"],
  ["aws_sns_topic", "policy"],
  ["aws_sns_topic_policy", "policy"],
];

export function permissionPolicies(
  stack: Stack,
): Array<{ readonly address: string; readonly policy: Policy }> {
  const out: Array<{ address: string; policy: Policy }> = [];
  for (const [type, attribute] of PERMISSION_POLICIES) {
    for (const e of stack.all(type)) {
      if (e.body[attribute] !== undefined)
        out.push({ address: e.address, policy: readPolicy(stack, e.body[attribute]) });
    }
  }
  for (const role of stack.all("aws_iam_role")) {
    for (const inline of blocks(role.body.inline_policy)) {
      if (inline.policy !== undefined)
        out.push({ address: role.address, policy: readPolicy(stack, inline.policy) });
    }
  }
  return out;
}

export const isEveryone = (p: Principal) =>
  (p.type === "*" || p.type === "AWS") && p.identifiers.includes("*");
