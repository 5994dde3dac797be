import type { ResourceChange } from "./plan.ts";

/**
 * Resources by the role a reviewer thinks in: the construct that made them (`s3-processor`,
 * `uploads`, `alarms`, …), read from each resource's construct path in the synthesized stack.
 */

/** A resource's construct path without the stack (`s3-processor/function`), by terraform address. */
export type ConstructPaths = ReadonlyMap<string, string>;

export const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** What names a resource for a reviewer: its construct path, else its address. */
export function nameOf(address: string, paths: ConstructPaths): string {
  return paths.get(address) ?? address;
}

/** The role (first construct under the stack) a resource belongs to; `other` when unknown. */
export function groupOf(address: string, paths: ConstructPaths): string {
  return paths.get(address)?.split("/")[0] ?? "other";
}

/** Attributes an update changes (tags_all is Terraform's own copy of tags). */
export function changedAttributes(change: ResourceChange): string[] {
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

/** `memory_size 256 → 512` for a short scalar change, else the attribute's name. */
function describeAttribute(change: ResourceChange, key: string): string {
  const b = change.before?.[key];
  const a = change.after?.[key];
  const scalar = (v: unknown) => ["string", "number", "boolean"].includes(typeof v) && String(v).length <= 40;
  if (change.afterUnknown[key] === true) return `${code(key)} (known after apply)`;
  if (scalar(b) && scalar(a)) return `${code(key)} ${String(b)} → ${String(a)}`;
  return code(key);
}

const kindOf = (c: ResourceChange) => {
  const a = c.actions;
  if (a.includes("delete") && a.includes("create")) return "replace";
  if (a.includes("delete")) return "destroy";
  if (a.includes("create")) return "add";
  if (a.includes("update")) return "change";
  return "other";
};

export interface Group {
  readonly name: string;
  readonly changes: ReadonlyArray<ResourceChange>;
  /** `1 to change (memory_size 256 → 512)`, `2 to add, 1 to destroy`. */
  readonly summary: string;
}

/** The plan's changes by role, roles in name order, each with its one-line summary. */
export function groupChanges(changes: ReadonlyArray<ResourceChange>, paths: ConstructPaths): Group[] {
  const byName = new Map<string, ResourceChange[]>();
  for (const c of changes) {
    if (c.actions.every((a) => a === "no-op" || a === "read")) continue;
    const name = groupOf(c.address, paths);
    byName.set(name, [...(byName.get(name) ?? []), c]);
  }
  return [...byName]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, list]) => {
      const counts = ["add", "change", "replace", "destroy"]
        .map((kind) => [kind, list.filter((c) => kindOf(c) === kind).length] as const)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${n} to ${kind}`);
      const updates = list.filter((c) => kindOf(c) === "change");
      const attributes = updates.flatMap((c) => changedAttributes(c).map((k) => describeAttribute(c, k)));
      const detail =
        updates.length > 0 && attributes.length > 0
          ? ` (${attributes.slice(0, 3).join(", ")}${attributes.length > 3 ? `, +${attributes.length - 3} more` : ""})`
          : "";
      return { name, changes: list, summary: `${counts.join(", ")}${detail}` };
    });
}

const ACTION_LABEL: Record<string, string> = {
  create: "create",
  update: "update",
  delete: "**destroy**",
  "delete,create": "**replace** (destroy first)",
  "create,delete": "**replace** (create first)",
};

/** One summary line per role, then each role's resources in a folded table. */
export function renderGroups(groups: ReadonlyArray<Group>, paths: ConstructPaths): string[] {
  if (groups.length === 0) return [];
  const lines = ["#### Changes by role", ""];
  for (const g of groups) lines.push(`- ${code(g.name)}: ${g.summary}`);
  lines.push("", "<details><summary>Resources by role</summary>", "");
  for (const g of groups) {
    lines.push(`##### ${g.name}`, "", "| Action | Resource | Changed attributes |", "| --- | --- | --- |");
    for (const c of g.changes) {
      const attributes = c.actions.join(",") === "update" ? changedAttributes(c).map(code).join(", ") : "";
      const name = paths.has(c.address)
        ? `${code(nameOf(c.address, paths))} (${code(c.address)})`
        : code(c.address);
      lines.push(`| ${ACTION_LABEL[c.actions.join(",")] ?? c.actions.join(",")} | ${name} | ${attributes} |`);
    }
    lines.push("");
  }
  return [...lines, "</details>", ""];
}
