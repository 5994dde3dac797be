import { type NormalStatement, normalise, type StatementDiff } from "./iam-diff.ts";
import { blocksOf, constructPaths, symbolizer } from "./iam-symbols.ts";

/**
 * IAM statements read from a synthesized stack (cdk.tf.json) rather than from a plan: a plan knows a
 * policy built by `aws_iam_policy_document` only after apply, the synthesized stack always has its
 * statements. Every Terraform reference in them is rendered symbolically by construct path
 * (`${aws_s3_bucket.uploads_bucket_556152F0.arn}/uploads/*` → `arn of uploads/bucket + /uploads/*`),
 * so two versions of a stack compare statement by statement without knowing any ARN.
 */

/** A synthesized stack: the parsed `cdk.tf.json`. */
export type StackJson = Readonly<Record<string, unknown>>;

/** The attributes that hold an IAM policy document. */
export type PolicyAttribute = "policy" | "assume_role_policy";

/** One statement, normalised (lists sorted) and rendered symbolically. */
export interface SynthStatement extends NormalStatement {
  readonly notActions: ReadonlyArray<string>;
  readonly notResources: ReadonlyArray<string>;
  /** `Service lambda.amazonaws.com`, `AWS arn of x/role`, `*`; sorted. */
  readonly principalList: ReadonlyArray<string>;
  readonly notPrincipalList: ReadonlyArray<string>;
  /** `StringEquals cloudwatch:namespace = Custom/EC2` (several values joined by ` or `); sorted. */
  readonly conditionList: ReadonlyArray<string>;
}

/** One policy attribute of one resource, with the statements of the document it uses. */
export interface SynthPolicy {
  /** Terraform address of the resource holding the policy, e.g. `aws_iam_role_policy.s3-processor_policy_B24D5E3A`. */
  readonly owner: string;
  /** The owner's construct path without the stack prefix, e.g. `s3-processor/policy`. */
  readonly path: string;
  readonly attribute: PolicyAttribute;
  /** The `data.aws_iam_policy_document` address the attribute refers to; absent for literal JSON. */
  readonly document?: string;
  readonly statements: ReadonlyArray<SynthStatement>;
}

/** A statement difference, with what `StatementDiff` lacks (principals, Not* lists, condition lines). */
export interface SynthStatementDiff extends StatementDiff {
  readonly notActionsAdded: ReadonlyArray<string>;
  readonly notActionsRemoved: ReadonlyArray<string>;
  readonly notResourcesAdded: ReadonlyArray<string>;
  readonly notResourcesRemoved: ReadonlyArray<string>;
  readonly principalsAdded: ReadonlyArray<string>;
  readonly principalsRemoved: ReadonlyArray<string>;
  readonly notPrincipalsAdded: ReadonlyArray<string>;
  readonly notPrincipalsRemoved: ReadonlyArray<string>;
  readonly conditionsAdded: ReadonlyArray<string>;
  readonly conditionsRemoved: ReadonlyArray<string>;
  readonly before?: SynthStatement;
  readonly after?: SynthStatement;
}

export interface ChangedPolicy {
  readonly before: SynthPolicy;
  readonly after: SynthPolicy;
  readonly diffs: ReadonlyArray<SynthStatementDiff>;
}

/** IAM policies of a head stack compared with its base (each list ordered by construct path). */
export interface IamReview {
  readonly created: ReadonlyArray<SynthPolicy>;
  readonly changed: ReadonlyArray<ChangedPolicy>;
  readonly unchanged: ReadonlyArray<SynthPolicy>;
  readonly removed: ReadonlyArray<SynthPolicy>;
}

type Json = Record<string, unknown>;

const POLICY_ATTRIBUTES: ReadonlyArray<PolicyAttribute> = ["policy", "assume_role_policy"];
const DOCUMENT_REF = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.(?:minified_)?json\}$/;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const blocks = (v: unknown): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(isObject);
const list = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
export const minus = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.filter((x) => !b.includes(x));

// ---------------------------------------------------------------------------------------------------
// Statements and policies.

const deepMap = (v: unknown, f: (s: string) => string): unknown =>
  typeof v === "string"
    ? f(v)
    : Array.isArray(v)
      ? v.map((x) => deepMap(x, f))
      : isObject(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepMap(x, f)]))
        : v;

/** Principal lines from a synthesized `principals` block list or a JSON `Principal`. */
function principalLines(v: unknown): string[] {
  if (v === "*") return ["*"];
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const p of blocks(v))
      for (const id of list(p.identifiers)) out.push(p.type === "*" ? "*" : `${String(p.type)} ${id}`);
  } else if (isObject(v)) {
    for (const [type, ids] of Object.entries(v)) for (const id of list(ids)) out.push(`${type} ${id}`);
  }
  return sorted(out);
}

/** Condition lines from a synthesized `condition` block list or a JSON `Condition`. */
function conditionLines(v: unknown): string[] {
  const out: string[] = [];
  const line = (test: string, variable: string, values: unknown) =>
    out.push(`${test} ${variable} = ${sorted(list(values)).join(" or ")}`);
  if (Array.isArray(v)) for (const c of blocks(v)) line(String(c.test), String(c.variable), c.values);
  else if (isObject(v))
    for (const [test, byVariable] of Object.entries(v))
      if (isObject(byVariable))
        for (const [variable, values] of Object.entries(byVariable)) line(test, variable, values);
  return sorted(out);
}

function toStatement(raw: Json, index: number): SynthStatement {
  const [core] = normalise({ Statement: [raw] });
  const sid = raw.Sid ?? raw.sid;
  const principalList = principalLines(raw.Principal ?? raw.principals);
  const conditionList = conditionLines(raw.Condition ?? raw.condition);
  return {
    ...(core as NormalStatement),
    sid: sid === undefined || sid === null || sid === "" ? `#${index}` : String(sid),
    principals: principalList.length ? JSON.stringify(principalList) : "null",
    condition: conditionList.length ? JSON.stringify(conditionList) : "null",
    notActions: sorted(list(raw.NotAction ?? raw.not_actions)),
    notResources: sorted(list(raw.NotResource ?? raw.not_resources)),
    principalList,
    notPrincipalList: principalLines(raw.NotPrincipal ?? raw.not_principals),
    conditionList,
  };
}

export const named = (s: SynthStatement) => !s.sid.startsWith("#");
/** Everything but the sid, to recognise an unnamed statement in another version. */
export const content = (s: SynthStatement) => {
  const { sid: _sid, ...rest } = s;
  return JSON.stringify(rest);
};

/** Raw statements of a policy document, with its source and override documents merged in by sid. */
function documentStatements(documents: Json, id: string, seen: ReadonlySet<string> = new Set()): Json[] {
  const doc = documents[id];
  if (!isObject(doc) || seen.has(id)) return [];
  const inner = new Set([...seen, id]);
  const merged: Json[] = [];
  const put = (s: Json) => {
    const at = s.sid ? merged.findIndex((m) => m.sid === s.sid) : -1;
    if (at >= 0) merged[at] = s;
    else merged.push(s);
  };
  const referenced = (refs: unknown) =>
    list(refs).flatMap((ref) => {
      const match = DOCUMENT_REF.exec(ref);
      return match?.[1] ? documentStatements(documents, match[1], inner) : (literalStatements(ref) ?? []);
    });
  for (const s of referenced(doc.source_policy_documents)) put(s);
  for (const s of blocks(doc.statement)) put(s);
  for (const s of referenced(doc.override_policy_documents)) put(s);
  return merged;
}

/** Statements of a policy given as literal JSON text, or undefined when it is not one. */
function literalStatements(text: string): Json[] | undefined {
  if (!text.trim().startsWith("{")) return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    return isObject(json) && json.Statement !== undefined ? blocks(json.Statement) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every policy attribute (`policy`, `assume_role_policy`) of every resource that uses an
 * `aws_iam_policy_document` (or holds literal policy JSON), with its statements rendered
 * symbolically; ordered by construct path, then attribute.
 */
export function synthesizedPolicies(stack: StackJson): SynthPolicy[] {
  const paths = constructPaths(stack);
  const symbolic = symbolizer(stack);
  const documents = (isObject(stack.data) ? stack.data.aws_iam_policy_document : undefined) ?? {};
  const out: SynthPolicy[] = [];
  for (const [owner, block] of blocksOf(stack)) {
    if (owner.startsWith("data.")) continue;
    for (const attribute of POLICY_ATTRIBUTES) {
      const value = block[attribute];
      if (typeof value !== "string") continue;
      const id = DOCUMENT_REF.exec(value)?.[1];
      const raw = id ? documentStatements(documents as Json, id) : literalStatements(value);
      if (!raw || (id && !isObject((documents as Json)[id]))) continue;
      out.push({
        owner,
        path: paths.get(owner) ?? owner,
        attribute,
        ...(id ? { document: `data.aws_iam_policy_document.${id}` } : {}),
        statements: raw.map((s, i) => toStatement(deepMap(s, symbolic) as Json, i)),
      });
    }
  }
  const key = (p: SynthPolicy) => `${p.path}\u0000${p.attribute}\u0000${p.owner}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
