/**
 * The IAM review's section of the plan comment: each changed policy's statements, added, removed
 * and changed, as Markdown lines.
 */
import type { IamReview, SynthPolicy, SynthStatement, SynthStatementDiff } from "./iam-synth.ts";

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** A line safe inside a fenced block. */
const fenced = (s: string) => s.replace(/`{3,}/g, (m) => "'".repeat(m.length));

/** One line per effect, action, resource, principal and condition of a statement. */
export function statementLines(s: SynthStatement): string[] {
  return [
    `Effect: ${s.effect}`,
    ...s.actions.map((x) => `Action: ${x}`),
    ...s.notActions.map((x) => `NotAction: ${x}`),
    ...s.resources.map((x) => `Resource: ${x}`),
    ...s.notResources.map((x) => `NotResource: ${x}`),
    ...s.principalList.map((x) => `Principal: ${x}`),
    ...s.notPrincipalList.map((x) => `NotPrincipal: ${x}`),
    ...s.conditionList.map((x) => `Condition: ${x}`),
  ].map(fenced);
}

function diffLines(d: SynthStatementDiff): string[] {
  const lines = [`@@ statement ${d.sid} (${d.kind}) @@`];
  if (d.kind === "added" && d.after) return [...lines, ...statementLines(d.after).map((l) => `+ ${l}`)];
  if (d.kind === "removed" && d.before) return [...lines, ...statementLines(d.before).map((l) => `- ${l}`)];
  const pair = (name: string, removed: ReadonlyArray<string>, added: ReadonlyArray<string>) => [
    ...removed.map((x) => `- ${name}: ${fenced(x)}`),
    ...added.map((x) => `+ ${name}: ${fenced(x)}`),
  ];
  return [
    ...lines,
    ...(d.effect ? pair("Effect", [d.effect.before], [d.effect.after]) : []),
    ...pair("Action", d.actionsRemoved, d.actionsAdded),
    ...pair("NotAction", d.notActionsRemoved, d.notActionsAdded),
    ...pair("Resource", d.resourcesRemoved, d.resourcesAdded),
    ...pair("NotResource", d.notResourcesRemoved, d.notResourcesAdded),
    ...pair("Principal", d.principalsRemoved, d.principalsAdded),
    ...pair("NotPrincipal", d.notPrincipalsRemoved, d.notPrincipalsAdded),
    ...pair("Condition", d.conditionsRemoved, d.conditionsAdded),
  ];
}

const title = (p: SynthPolicy, what: string, was?: SynthPolicy) =>
  `**${code(p.path)}** ${code(p.attribute)} — ${what} · ${code(p.owner)}${
    was && was.owner !== p.owner ? ` (was ${code(was.owner)})` : ""
  }`;

/**
 * Markdown lines for the "#### IAM" section (ending with a blank line): changed policies as a diff
 * block per policy, created ones with every statement, removed ones with every statement removed;
 * unchanged policies are only counted.
 */
export function renderIamSection(review: IamReview): string[] {
  const lines = ["#### IAM", ""];
  const { created, changed, unchanged, removed } = review;
  if (created.length + changed.length + removed.length === 0) {
    const n = unchanged.length;
    return [...lines, `_no IAM changes_ (${n} ${n === 1 ? "policy" : "policies"} unchanged)`, ""];
  }
  lines.push(
    `${changed.length} changed · ${created.length} created · ${removed.length} removed · ${unchanged.length} unchanged`,
    "",
  );
  for (const c of changed) {
    lines.push(title(c.after, "changed", c.before), "", "```diff", ...c.diffs.flatMap(diffLines), "```", "");
  }
  for (const p of created) {
    lines.push(title(p, "created"), "", "```text");
    for (const s of p.statements) lines.push(`statement ${s.sid}`, ...statementLines(s).map((l) => `  ${l}`));
    lines.push("```", "");
  }
  for (const p of removed) {
    lines.push(title(p, "removed"), "", "```diff");
    for (const s of p.statements)
      lines.push(`@@ statement ${s.sid} (removed) @@`, ...statementLines(s).map((l) => `- ${l}`));
    lines.push("```", "");
  }
  return lines;
}
