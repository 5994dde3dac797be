import { iamChanges, type StatementDiff } from "./iam-diff.ts";
import { type ChangeSet, countChanges, isDelete, isReplace, type ResourceChange } from "./plan.ts";

/** GitHub refuses comments longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Resources whose `policy` is a policy we write (elsewhere `policy` is a computed attribute). */
const POLICY_RESOURCES = new Set([
  "aws_iam_role_policy",
  "aws_iam_policy",
  "aws_iam_user_policy",
  "aws_iam_group_policy",
  "aws_s3_bucket_policy",
  "aws_sqs_queue_policy",
  "aws_sns_topic_policy",
  "aws_lambda_permission",
]);

/** The hidden marker that finds a stack's comment again, so it is updated in place. */
export const marker = (stack: string) => `<!-- lambdaform-review:${stack} -->`;

export interface RenderOptions {
  readonly sha?: string;
  /** Tool versions shown at the end (terraform's is taken from the plan when there). */
  readonly versions?: Readonly<Record<string, string>>;
  /** `terraform show -no-color` output, for the folded full plan; otherwise changed attributes are listed. */
  readonly planText?: string;
  readonly limit?: number;
}

const ACTION_LABEL: Record<string, string> = {
  create: "create",
  update: "update",
  delete: "**destroy**",
  "delete,create": "**replace** (destroy first)",
  "create,delete": "**replace** (create first)",
  read: "read",
};

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function changedAttributes(change: ResourceChange): string[] {
  const before = change.before ?? {};
  const after = change.after ?? {};
  const keys = [
    ...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(change.afterUnknown)]),
  ].sort();
  return keys.filter(
    (k) =>
      k !== "tags_all" &&
      (change.afterUnknown[k] === true || JSON.stringify(before[k]) !== JSON.stringify(after[k])),
  );
}

function warningBlock(changes: ReadonlyArray<ResourceChange>): string[] {
  const risky = changes.filter((c) => isDelete(c) || isReplace(c));
  if (risky.length === 0) return [];
  const lines = [
    "> [!CAUTION]",
    `> **${risky.length} resource${risky.length === 1 ? "" : "s"} will be destroyed or replaced:**`,
    ">",
  ];
  for (const c of risky) {
    const why = [
      c.reason ? c.reason.replace(/_/g, " ") : undefined,
      c.replacePaths?.length ? `forced by ${c.replacePaths.map(code).join(", ")}` : undefined,
    ].filter(Boolean);
    lines.push(
      `> - ${isReplace(c) ? "replace" : "destroy"} ${code(c.address)}${why.length ? ` — ${why.join("; ")}` : ""}`,
    );
  }
  return [...lines, ""];
}

function iamBlock(diffs: ReadonlyArray<StatementDiff>, pending: ReadonlyArray<string>): string[] {
  if (diffs.length === 0 && pending.length === 0) return [];
  const lines = ["#### IAM changes", ""];
  for (const address of pending) {
    lines.push(
      `- ${code(address)}: policy known only after apply (its statements are in the synthesized stack)`,
    );
  }
  if (diffs.length === 0) return [...lines, ""];
  lines.push("", "```diff");
  for (const d of diffs) {
    lines.push(`@@ ${d.policy} — statement ${d.sid} (${d.kind}) @@`);
    if (d.effect) lines.push(`- Effect: ${d.effect.before}`, `+ Effect: ${d.effect.after}`);
    for (const a of d.actionsRemoved) lines.push(`- Action:   ${a}`);
    for (const a of d.actionsAdded) lines.push(`+ Action:   ${a}`);
    for (const r of d.resourcesRemoved) lines.push(`- Resource: ${r}`);
    for (const r of d.resourcesAdded) lines.push(`+ Resource: ${r}`);
    if (d.condition) lines.push(`- Condition: ${d.condition.before}`, `+ Condition: ${d.condition.after}`);
  }
  return [...lines, "```", ""];
}

function table(changes: ReadonlyArray<ResourceChange>): string[] {
  if (changes.length === 0) return [];
  const lines = ["| Action | Resource | Changed attributes |", "| --- | --- | --- |"];
  for (const c of changes) {
    const attributes = c.actions.join(",") === "update" ? changedAttributes(c).map(code).join(", ") : "";
    lines.push(
      `| ${ACTION_LABEL[c.actions.join(",")] ?? c.actions.join(",")} | ${code(c.address)} | ${attributes} |`,
    );
  }
  return [...lines, ""];
}

function fullPlan(set: ChangeSet, planText: string | undefined): string {
  if (planText) return planText.trim();
  return set.changes
    .map((c) => {
      const attributes = changedAttributes(c).map((k) => {
        const after =
          c.afterUnknown[k] === true ? "(known after apply)" : JSON.stringify(c.after?.[k] ?? null);
        return c.actions.includes("create") && !c.actions.includes("delete")
          ? `    + ${k} = ${after}`
          : `    ~ ${k}: ${JSON.stringify(c.before?.[k] ?? null)} -> ${after}`;
      });
      return [
        `  # ${c.address} will be ${c.actions.join(" then ")}d`.replace("deleted", "destroyed"),
        ...attributes,
      ].join("\n");
    })
    .join("\n\n");
}

/**
 * Renders one stack's review comment: status line, a loud block for every destroy and replace,
 * IAM statement diffs, a per-resource table, and the full plan folded (trimmed to fit GitHub).
 */
export function renderComment(set: ChangeSet, options: RenderOptions = {}): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  const counts = countChanges(set);
  const status =
    set.changes.length === 0
      ? "**No changes.** Infrastructure matches the configuration."
      : `**Plan: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy.**`;
  const source =
    set.source === "plan" ? "terraform plan" : "offline diff of the synthesized stacks (no credentials)";
  const versions = {
    ...(set.terraformVersion ? { terraform: set.terraformVersion } : {}),
    ...options.versions,
  };
  const footer = [
    "",
    `<sub>${[
      options.sha ? `commit ${code(options.sha.slice(0, 12))}` : undefined,
      ...Object.entries(versions).map(([tool, version]) => `${tool} ${version}`),
    ]
      .filter(Boolean)
      .join(" · ")}</sub>`,
  ];
  const head = [
    marker(set.stack),
    `### ${set.stack}: ${source}`,
    "",
    status,
    "",
    ...warningBlock(set.changes),
    ...iamBlock(
      iamChanges(set),
      set.changes
        .filter(
          (c) =>
            POLICY_RESOURCES.has(c.type) && c.afterUnknown.policy === true && !c.actions.includes("delete"),
        )
        .map((c) => c.address),
    ),
  ].join("\n");
  const open = "<details><summary>Full plan</summary>\n\n```text\n";
  const close = "\n```\n\n</details>\n";
  const tail = footer.join("\n");
  const note = (what: string, cut: number) =>
    `… ${cut} ${what} trimmed to stay under GitHub's ${limit}-character comment limit; see the workflow's plan artifact for all of it.`;
  // The status, warnings and IAM diffs always stay; then as much of the table, then of the plan, as fits.
  let room = limit - head.length - open.length - close.length - tail.length - 400;
  const rows = table(set.changes);
  const kept: string[] = [];
  for (const row of rows) {
    if (row.length + 1 > room) break;
    kept.push(row);
    room -= row.length + 1;
  }
  if (kept.length < rows.length) kept.push(note("table rows", rows.length - kept.length), "");
  let plan = fullPlan(set, options.planText);
  if (plan.length > room)
    plan = `${plan.slice(0, Math.max(0, room))}\n${note("characters", plan.length - Math.max(0, room))}`;
  const body = `${head}\n${kept.join("\n")}\n`;
  return `${body}${open}${plan}${close}${tail}\n`;
}
