/**
 * Two versions of a stack's IAM policies compared statement by statement (what the plan comment's
 * IAM section shows): policies added, removed and changed, and within each the statements.
 */
import { diffPolicies } from "./iam-diff.ts";
import {
  type ChangedPolicy,
  content,
  type IamReview,
  minus,
  named,
  type StackJson,
  type SynthPolicy,
  type SynthStatement,
  type SynthStatementDiff,
  synthesizedPolicies,
} from "./iam-synth.ts";

const policyLabel = (p: SynthPolicy) => `${p.owner}${p.attribute === "policy" ? "" : ` (${p.attribute})`}`;

/**
 * Pairs the statements of two versions: by sid, then unnamed ones by identical content, then
 * unnamed ones sharing an action; the rest count as added or removed.
 */
function pairStatements(
  before: ReadonlyArray<SynthStatement>,
  after: ReadonlyArray<SynthStatement>,
): Array<[SynthStatement | undefined, SynthStatement | undefined]> {
  const partner = new Map<number, number>();
  const taken = new Set<number>();
  const match = (ok: (a: SynthStatement, b: SynthStatement) => boolean) =>
    after.forEach((a, i) => {
      if (partner.has(i)) return;
      const j = before.findIndex((b, j) => !taken.has(j) && ok(a, b));
      if (j < 0) return;
      partner.set(i, j);
      taken.add(j);
    });
  match((a, b) => named(a) && named(b) && a.sid === b.sid);
  match((a, b) => !named(a) && !named(b) && content(a) === content(b));
  const overlap = (x: ReadonlyArray<string>, y: ReadonlyArray<string>) => x.some((v) => y.includes(v));
  match(
    (a, b) =>
      !named(a) && !named(b) && (overlap(a.actions, b.actions) || overlap(a.notActions, b.notActions)),
  );
  const pairs: Array<[SynthStatement | undefined, SynthStatement | undefined]> = after.map((a, i) => {
    const j = partner.get(i);
    return [j === undefined ? undefined : before[j], a];
  });
  before.forEach((b, j) => {
    if (!taken.has(j)) pairs.push([b, undefined]);
  });
  return pairs;
}

/** Statement-level differences between two versions of one synthesized policy. */
export function diffSynthPolicies(before: SynthPolicy, after: SynthPolicy): SynthStatementDiff[] {
  const label = policyLabel(after);
  const out: SynthStatementDiff[] = [];
  for (const [b, a] of pairStatements(before.statements, after.statements)) {
    const sid = (a ?? b)?.sid ?? "";
    const [core] = diffPolicies(label, b ? [{ ...b, sid }] : [], a ? [{ ...a, sid }] : []);
    const both = (pick: (s: SynthStatement) => ReadonlyArray<string>) => [
      minus(a ? pick(a) : [], b ? pick(b) : []),
      minus(b ? pick(b) : [], a ? pick(a) : []),
    ];
    const [notActionsAdded = [], notActionsRemoved = []] = both((s) => s.notActions);
    const [notResourcesAdded = [], notResourcesRemoved = []] = both((s) => s.notResources);
    const [principalsAdded = [], principalsRemoved = []] = both((s) => s.principalList);
    const [notPrincipalsAdded = [], notPrincipalsRemoved = []] = both((s) => s.notPrincipalList);
    const [conditionsAdded = [], conditionsRemoved = []] = both((s) => s.conditionList);
    const extras = {
      notActionsAdded,
      notActionsRemoved,
      notResourcesAdded,
      notResourcesRemoved,
      principalsAdded,
      principalsRemoved,
      notPrincipalsAdded,
      notPrincipalsRemoved,
      conditionsAdded,
      conditionsRemoved,
    };
    if (!core && Object.values(extras).every((x) => x.length === 0)) continue;
    out.push({
      ...(core ?? {
        policy: label,
        sid,
        kind: "changed",
        actionsAdded: [],
        actionsRemoved: [],
        resourcesAdded: [],
        resourcesRemoved: [],
      }),
      ...extras,
      ...(b ? { before: b } : {}),
      ...(a ? { after: a } : {}),
    });
  }
  return out;
}

/**
 * The head's policies against the base's: a policy is matched by owner address and attribute,
 * else by the owner's construct path and attribute (a renamed logical id). Without a base every
 * policy is created.
 */
export function iamReview(base: StackJson | undefined, head: StackJson): IamReview {
  const before = base ? synthesizedPolicies(base) : [];
  const after = synthesizedPolicies(head);
  const partner = new Map<SynthPolicy, SynthPolicy>();
  const taken = new Set<SynthPolicy>();
  for (const same of [
    (a: SynthPolicy, b: SynthPolicy) => a.owner === b.owner,
    (a: SynthPolicy, b: SynthPolicy) => a.path === b.path,
  ]) {
    for (const a of after) {
      if (partner.has(a)) continue;
      const b = before.find((b) => !taken.has(b) && b.attribute === a.attribute && same(a, b));
      if (!b) continue;
      partner.set(a, b);
      taken.add(b);
    }
  }
  const created: SynthPolicy[] = [];
  const changed: ChangedPolicy[] = [];
  const unchanged: SynthPolicy[] = [];
  for (const a of after) {
    const b = partner.get(a);
    if (!b) {
      created.push(a);
      continue;
    }
    const diffs = diffSynthPolicies(b, a);
    if (diffs.length) changed.push({ before: b, after: a, diffs });
    else unchanged.push(a);
  }
  return { created, changed, unchanged, removed: before.filter((b) => !taken.has(b)) };
}
