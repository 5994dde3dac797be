import { driftedAttributes } from "./drift.ts";

/** One resource's change, from a terraform plan or from two synthesized stacks. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  /** Terraform's actions: ["create"], ["update"], ["delete"], ["delete","create"] (replace), … */
  readonly actions: ReadonlyArray<string>;
  /** Why Terraform replaces or deletes, when it says (`action_reason`), and which attributes force it. */
  readonly reason?: string;
  readonly replacePaths?: ReadonlyArray<string>;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  /** Attributes only known after apply. */
  readonly afterUnknown: Record<string, unknown>;
}

export interface ChangeSet {
  readonly stack: string;
  /** Where it came from: a terraform plan, or an offline diff of two synthesized stacks. */
  readonly source: "plan" | "synth-diff";
  readonly terraformVersion?: string;
  readonly changes: ReadonlyArray<ResourceChange>;
  /** Resources that changed outside Terraform, found by the plan's refresh (`resource_drift`). */
  readonly drift?: ReadonlyArray<ResourceChange>;
}

/** A plan file that is not what this tool reads: said plainly, never a crash. */
export class PlanFormatError extends Error {
  override readonly name = "PlanFormatError";
}

type RawChange = {
  address?: string;
  type?: string;
  mode?: string;
  action_reason?: string;
  change?: {
    actions?: string[];
    before?: Record<string, unknown> | null;
    after?: Record<string, unknown> | null;
    after_unknown?: Record<string, unknown>;
    replace_paths?: unknown[][];
  };
};

/** Reads `terraform show -json <planfile>` output. */
export function parsePlan(text: string, stack: string): ChangeSet {
  if (text.trim() === "")
    throw new PlanFormatError(
      `${stack}: the plan file is empty. Produce it with \`terraform show -json <planfile>\`.`,
    );
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PlanFormatError(
      `${stack}: the plan is not JSON (${(error as Error).message}). Use \`terraform show -json <planfile>\`.`,
    );
  }
  if (typeof json !== "object" || json === null || typeof json.format_version !== "string") {
    throw new PlanFormatError(
      `${stack}: not a terraform JSON plan (no format_version). Use \`terraform show -json <planfile>\`.`,
    );
  }
  const raw = json.resource_changes;
  if (raw !== undefined && !Array.isArray(raw))
    throw new PlanFormatError(`${stack}: resource_changes is not a list.`);
  const changes = readChanges(raw, stack, "resource_changes");
  const driftRaw = json.resource_drift;
  if (driftRaw !== undefined && !Array.isArray(driftRaw))
    throw new PlanFormatError(`${stack}: resource_drift is not a list.`);
  // What a refresh read back differently for no one's doing (see drift.ts) is not drift.
  const drift = readChanges(driftRaw, stack, "resource_drift").filter(
    (c) =>
      !c.actions.every((a) => a === "no-op") &&
      (!c.actions.includes("update") || driftedAttributes(c.before, c.after, c.type).length > 0),
  );
  return {
    stack,
    source: "plan",
    terraformVersion: json.terraform_version as string | undefined,
    changes,
    ...(drift.length > 0 ? { drift } : {}),
  };
}

function readChanges(raw: unknown, stack: string, field: string): ResourceChange[] {
  return ((raw ?? []) as RawChange[])
    .filter((c) => c.mode !== "data")
    .map((c, index): ResourceChange => {
      if (!c.address || !c.type || !Array.isArray(c.change?.actions)) {
        throw new PlanFormatError(`${stack}: ${field}[${index}] lacks address, type or change.actions.`);
      }
      return {
        address: c.address,
        type: c.type,
        actions: c.change.actions,
        reason: c.action_reason,
        replacePaths: c.change.replace_paths?.map((p) => p.join(".")),
        before: c.change.before ?? null,
        after: c.change.after ?? null,
        afterUnknown: c.change.after_unknown ?? {},
      };
    });
}

/** Counts as Terraform's status line does: a replace is one add and one destroy. */
export function countChanges(set: ChangeSet): { add: number; change: number; destroy: number } {
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const c of set.changes) {
    if (c.actions.includes("create")) add += 1;
    if (c.actions.includes("delete")) destroy += 1;
    if (c.actions.length === 1 && c.actions[0] === "update") change += 1;
  }
  return { add, change, destroy };
}

export const isReplace = (c: ResourceChange) => c.actions.includes("delete") && c.actions.includes("create");
export const isDelete = (c: ResourceChange) => c.actions.includes("delete") && !c.actions.includes("create");
