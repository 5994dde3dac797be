import type { ChangeSet } from "./plan.ts";

/** One IAM statement, normalised (lists sorted, condition as text) so two versions compare cleanly. */
export interface NormalStatement {
  readonly sid: string;
  readonly effect: string;
  readonly actions: ReadonlyArray<string>;
  readonly resources: ReadonlyArray<string>;
  readonly principals: string;
  readonly condition: string;
}

/** What changed in one statement of one policy. */
export interface StatementDiff {
  /** The resource holding the policy, e.g. `aws_iam_role_policy.s3-processor_policy_…`. */
  readonly policy: string;
  readonly sid: string;
  readonly kind: "added" | "removed" | "changed";
  readonly actionsAdded: ReadonlyArray<string>;
  readonly actionsRemoved: ReadonlyArray<string>;
  readonly resourcesAdded: ReadonlyArray<string>;
  readonly resourcesRemoved: ReadonlyArray<string>;
  readonly effect?: { readonly before: string; readonly after: string };
  readonly condition?: { readonly before: string; readonly after: string };
}

/** Attributes that hold an IAM policy document as JSON text. */
const POLICY_ATTRIBUTES = ["policy", "assume_role_policy"] as const;

const arr = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

/** Normalises a policy document: from JSON text (plans) or an aws_iam_policy_document block (synth). */
export function normalise(document: unknown): NormalStatement[] {
  const doc =
    typeof document === "string"
      ? (JSON.parse(document) as Record<string, unknown>)
      : (document as Record<string, unknown>);
  const raw = doc.Statement ?? doc.statement ?? [];
  const statements = (Array.isArray(raw) ? raw : [raw]) as Array<Record<string, unknown>>;
  return statements.map((s, index) => ({
    sid: String(s.Sid ?? s.sid ?? `#${index}`),
    effect: String(s.Effect ?? s.effect ?? "Allow"),
    actions: [...arr(s.Action ?? s.actions)].sort(),
    resources: [...arr(s.Resource ?? s.resources)].sort(),
    principals: JSON.stringify(s.Principal ?? s.principals ?? null),
    condition: JSON.stringify(s.Condition ?? s.condition ?? null),
  }));
}

const minus = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.filter((x) => !b.includes(x));

/** Statement-level differences between two versions of one policy. */
export function diffPolicies(
  policy: string,
  before: NormalStatement[],
  after: NormalStatement[],
): StatementDiff[] {
  const out: StatementDiff[] = [];
  const sids = [...new Set([...before.map((s) => s.sid), ...after.map((s) => s.sid)])];
  for (const sid of sids) {
    const b = before.find((s) => s.sid === sid);
    const a = after.find((s) => s.sid === sid);
    const diff: StatementDiff = {
      policy,
      sid,
      kind: !b ? "added" : !a ? "removed" : "changed",
      actionsAdded: minus(a?.actions ?? [], b?.actions ?? []),
      actionsRemoved: minus(b?.actions ?? [], a?.actions ?? []),
      resourcesAdded: minus(a?.resources ?? [], b?.resources ?? []),
      resourcesRemoved: minus(b?.resources ?? [], a?.resources ?? []),
      ...(a && b && a.effect !== b.effect ? { effect: { before: b.effect, after: a.effect } } : {}),
      ...(a && b && a.condition !== b.condition
        ? { condition: { before: b.condition, after: a.condition } }
        : {}),
    };
    const changed =
      diff.kind !== "changed" ||
      diff.actionsAdded.length +
        diff.actionsRemoved.length +
        diff.resourcesAdded.length +
        diff.resourcesRemoved.length >
        0 ||
      diff.effect !== undefined ||
      diff.condition !== undefined;
    if (changed) out.push(diff);
  }
  return out;
}

function parseIfJson(value: unknown): NormalStatement[] | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  try {
    return normalise(value);
  } catch {
    return undefined;
  }
}

/**
 * IAM statement changes in a change set: every policy attribute whose before and after are both
 * known (created and deleted policies count as all statements added or removed).
 */
export function iamChanges(set: ChangeSet): StatementDiff[] {
  const out: StatementDiff[] = [];
  for (const change of set.changes) {
    for (const attribute of POLICY_ATTRIBUTES) {
      const before = parseIfJson(change.before?.[attribute]);
      const after = parseIfJson(change.after?.[attribute]);
      if (!before && !after) continue;
      if (change.afterUnknown[attribute] === true && !after) continue;
      out.push(
        ...diffPolicies(
          `${change.address}${attribute === "policy" ? "" : ` (${attribute})`}`,
          before ?? [],
          after ?? [],
        ),
      );
    }
  }
  return out;
}
