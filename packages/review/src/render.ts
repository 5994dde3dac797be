import { driftedAttributes } from "./drift.ts";
import {
  type ConstructPaths,
  changedAttributes,
  code,
  groupChanges,
  nameOf,
  renderGroups,
} from "./groups.ts";
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

/** The labels a review sets on its pull request. */
export const PLAN_LABELS = [
  "plan:no-changes",
  "plan:add-or-update",
  "plan:destroy",
  "plan:iam-change",
  "plan:policy-violation",
] as const;
export type PlanLabel = (typeof PLAN_LABELS)[number];

/** The hidden line that says which labels a stack's comment asks for (read back across stacks). */
export const labelMarker = (labels: ReadonlyArray<string>) =>
  `<!-- lambdaform-labels:${labels.join(",")} -->`;

/** The labels one stack's review asks for. */
export function labelsFor(
  set: ChangeSet,
  facts: { readonly iamChanged: boolean; readonly violations: number },
): PlanLabel[] {
  const labels: PlanLabel[] = [];
  const changing = set.changes.filter((c) => !c.actions.every((a) => a === "no-op" || a === "read"));
  if (changing.some((c) => c.actions.includes("delete"))) labels.push("plan:destroy");
  if (changing.some((c) => c.actions.includes("create") || c.actions.includes("update")))
    labels.push("plan:add-or-update");
  if (changing.length === 0) labels.push("plan:no-changes");
  if (facts.iamChanged) labels.push("plan:iam-change");
  if (facts.violations > 0) labels.push("plan:policy-violation");
  return labels;
}

/** What a review is of: the commits, and the state the plan was made against. */
export interface Provenance {
  readonly headSha?: string;
  readonly baseSha?: string;
  readonly lineage?: string;
  readonly serial?: number;
}

export interface RenderOptions {
  readonly sha?: string;
  /** Tool versions shown at the end (terraform's is taken from the plan when there). */
  readonly versions?: Readonly<Record<string, string>>;
  /** `terraform show -no-color` output, for the folded full plan; otherwise changed attributes are listed. */
  readonly planText?: string;
  readonly limit?: number;
  /** Construct paths by address (from the synthesized head and base stacks): names and roles. */
  readonly paths?: ConstructPaths;
  /** Sections rendered elsewhere: every IAM statement, the policy checks, the cost delta. */
  readonly sections?: {
    readonly iam?: ReadonlyArray<string>;
    readonly policy?: ReadonlyArray<string>;
    readonly cost?: ReadonlyArray<string>;
  };
  /** The labels this stack asks for (recorded in the comment, read back when labels are set). */
  readonly labels?: ReadonlyArray<string>;
  readonly provenance?: Provenance;
  /** Policy violations found: a comment with any is never the one-line no-change comment. */
  readonly violations?: number;
}

const ACTION_LABEL: Record<string, string> = {
  create: "create",
  update: "update",
  delete: "**destroy**",
  "delete,create": "**replace** (destroy first)",
  "create,delete": "**replace** (create first)",
  read: "read",
};

function warningBlock(changes: ReadonlyArray<ResourceChange>, paths: ConstructPaths): string[] {
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
      `> - ${isReplace(c) ? "replace" : "destroy"} ${paths.has(c.address) ? `${code(nameOf(c.address, paths))} (${code(c.address)})` : code(c.address)}${why.length ? ` — ${why.join("; ")}` : ""}`,
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

function table(all: ReadonlyArray<ResourceChange>): string[] {
  const changes = all.filter((c) => !c.actions.every((a) => a === "no-op" || a === "read"));
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
    .filter((c) => !c.actions.every((a) => a === "no-op" || a === "read"))
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

/** A section followed by one empty line. */
const block = (lines: ReadonlyArray<string>) =>
  lines.length === 0 || lines.at(-1) === "" ? [...lines] : [...lines, ""];

/** Resources changed outside Terraform, with what changed in each. */
function driftBlock(set: ChangeSet, paths: ConstructPaths): string[] {
  const drift = set.drift ?? [];
  if (drift.length === 0) return [];
  const lines = [
    "#### Changed outside Terraform (drift)",
    "",
    "The plan's refresh found these differ from Terraform's state; this plan puts them back as configured:",
    "",
  ];
  for (const d of drift) {
    const changed = d.actions.includes("delete")
      ? "deleted outside Terraform"
      : driftedAttributes(d.before, d.after, d.type).map(code).join(", ");
    lines.push(
      `- ${code(nameOf(d.address, paths))}${paths.has(d.address) ? ` (${code(d.address)})` : ""}: ${changed}`,
    );
  }
  return [...lines, ""];
}

/** What the comment is of: head and base commits, the state's lineage and serial. */
function provenanceLine(options: RenderOptions, versions: Record<string, string>): string {
  const p = options.provenance ?? {};
  const head = p.headSha ?? options.sha;
  return `<sub>${[
    head ? `head ${code(head.slice(0, 12))}` : undefined,
    p.baseSha ? `base ${code(p.baseSha.slice(0, 12))}` : undefined,
    p.lineage ? `state ${code(p.lineage)} serial ${p.serial ?? "?"}` : undefined,
    ...Object.entries(versions).map(([tool, version]) => `${tool} ${version}`),
  ]
    .filter(Boolean)
    .join(" · ")}</sub>`;
}

/**
 * Renders one stack's review comment, the most important first: status, a loud block for every
 * destroy and replace (named by construct path), IAM (every statement of a new policy, diffs of
 * changed ones), policy checks, the cost delta, one line per role with the resources folded,
 * drift, then the full plan folded (trimmed to fit GitHub). A plan with nothing to change, no drift
 * and no violation gets a one-line comment instead.
 */
export function renderComment(set: ChangeSet, options: RenderOptions = {}): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  const paths = options.paths ?? new Map<string, string>();
  const counts = countChanges(set);
  const versions = {
    ...(set.terraformVersion ? { terraform: set.terraformVersion } : {}),
    ...options.versions,
  };
  const markers = [marker(set.stack), ...(options.labels ? [labelMarker(options.labels)] : [])].join("\n");
  const changing = set.changes.filter((c) => !c.actions.every((a) => a === "no-op" || a === "read"));
  if (changing.length === 0 && (set.drift ?? []).length === 0 && (options.violations ?? 0) === 0)
    return `${markers}\n**${set.stack}: no changes.** Infrastructure matches the configuration. ${provenanceLine(options, versions)}\n`;
  const status =
    changing.length === 0
      ? "**No changes.** Infrastructure matches the configuration."
      : `**Plan: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy.**`;
  const source =
    set.source === "plan" ? "terraform plan" : "offline diff of the synthesized stacks (no credentials)";
  const iam =
    options.sections?.iam ??
    iamBlock(
      iamChanges(set),
      set.changes
        .filter(
          (c) =>
            POLICY_RESOURCES.has(c.type) && c.afterUnknown.policy === true && !c.actions.includes("delete"),
        )
        .map((c) => c.address),
    );
  const head = [
    markers,
    `### ${set.stack}: ${source}`,
    "",
    status,
    "",
    ...warningBlock(set.changes, paths),
    ...block(iam),
    ...block(options.sections?.policy ?? []),
    ...block(options.sections?.cost ?? []),
  ].join("\n");
  const open = "<details><summary>Full plan</summary>\n\n```text\n";
  const close = "\n```\n\n</details>\n";
  const tail = `\n${provenanceLine(options, versions)}`;
  const note = (what: string, cut: number) =>
    `… ${cut} ${what} trimmed to stay under GitHub's ${limit}-character comment limit; see the workflow's plan artifact for all of it.`;
  // Status, cautions, IAM, policy and cost always stay; then as much of the roles (or, without
  // construct paths, the flat table), the drift, then the plan, as fits.
  let room = limit - head.length - open.length - close.length - tail.length - 400;
  const rows =
    paths.size > 0
      ? [...renderGroups(groupChanges(set.changes, paths), paths), ...driftBlock(set, paths)]
      : [...table(set.changes), ...driftBlock(set, paths)];
  const kept: string[] = [];
  for (const row of rows) {
    if (row.length + 1 > room) break;
    kept.push(row);
    room -= row.length + 1;
  }
  if (kept.length < rows.length) {
    if (kept.includes("<details><summary>Resources by role</summary>") && !kept.includes("</details>"))
      kept.push("", "</details>");
    kept.push(note("lines", rows.length - kept.length), "");
  }
  let plan = fullPlan(set, options.planText);
  if (plan.length > room)
    plan = `${plan.slice(0, Math.max(0, room))}\n${note("characters", plan.length - Math.max(0, room))}`;
  const body = `${head}\n${kept.join("\n")}\n`;
  return `${body}${open}${plan}${close}${tail}\n`;
}
