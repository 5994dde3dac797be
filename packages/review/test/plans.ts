import { randomUUID } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listStacks, planOffline, synthesize, terraform } from "@lambdaform/infra";

type Json = Record<string, unknown>;

/**
 * A Terraform state (format 4) built from a create plan's planned values, with every value known
 * only after apply filled with a plausible placeholder. Planning a changed configuration against it
 * with -refresh=false gives real update, replace and delete plans, offline.
 */
type AttrType = string | [string, unknown] | [string, Record<string, unknown>];
interface Block {
  attributes?: Record<string, { type?: AttrType }>;
  block_types?: Record<string, { nesting_mode: string; block: Block }>;
}

/** A value of the right type for an attribute Terraform only knows after apply. */
function placeholderFor(type: AttrType | undefined, hint: string): unknown {
  if (type === "number") return 0;
  if (type === "bool") return false;
  if (Array.isArray(type)) {
    if (type[0] === "list" || type[0] === "set") return [];
    return {};
  }
  // Identifiers get a plausible value (other resources and policies refer to them); any other
  // computed string stays null, as a provider leaves an unset optional attribute.
  if (/(^|-)(id|arn|invoke_arn|execution_arn|url|invoke_url|root_resource_id)$/.test(hint)) {
    return hint.endsWith("arn") ? `arn:aws:placeholder:us-east-1:123456789012:${hint}` : `placeholder-${hint}`;
  }
  return null;
}

/**
 * A Terraform state (format 4) built from a create plan's planned values, with every value known
 * only after apply filled with a placeholder of the type the provider schema gives. Planning a
 * changed configuration against it with -refresh=false gives real update, replace and delete plans,
 * offline.
 */
export function stateFromCreatePlan(plan: Json, schemas: Record<string, { block: Block }>): Json {
  const changes = new Map((plan.resource_changes as Json[]).map((c) => [c.address as string, c]));
  const fill = (values: Json, unknown: Json, block: Block | undefined, hint: string) => {
    for (const [key, flag] of Object.entries(unknown)) {
      const attribute = block?.attributes?.[key];
      const nested = block?.block_types?.[key];
      if (flag === true) {
        values[key] = nested ? (nested.nesting_mode === "single" ? null : []) : placeholderFor(attribute?.type, `${hint}-${key}`);
      } else if (Array.isArray(flag)) {
        const list = (Array.isArray(values[key]) ? values[key] : []) as unknown[];
        flag.forEach((item, i) => {
          if (item === true) list[i] = placeholderFor(undefined, `${hint}-${key}${i}`);
          else if (item && typeof item === "object") fill((list[i] ??= {}) as Json, item as Json, nested?.block, hint);
        });
        values[key] = list;
      } else if (flag && typeof flag === "object") {
        fill((values[key] ??= {}) as Json, flag as Json, nested?.block, hint);
      }
    }
  };
  const resources = ((plan.planned_values as Json).root_module as { resources: Json[] }).resources
    .filter((r) => r.mode === "managed")
    .map((r) => {
      const values = structuredClone((r.values ?? {}) as Json);
      const unknown = ((changes.get(r.address as string)?.change as Json)?.after_unknown ?? {}) as Json;
      fill(values, unknown, schemas[String(r.type)]?.block, String(r.name).toLowerCase());
      return {
        mode: "managed",
        type: r.type,
        name: r.name,
        provider: 'provider["registry.terraform.io/hashicorp/aws"]',
        instances: [{ schema_version: r.schema_version ?? 0, attributes: values, sensitive_attributes: [], dependencies: [] }],
      };
    });
  return { version: 4, terraform_version: plan.terraform_version, serial: 1, lineage: randomUUID(), outputs: {}, resources, check_results: null };
}

export interface PlanPair {
  readonly create: Json;
  readonly changed: Json;
  readonly baseStack: Json;
  readonly headStack: Json;
}

/**
 * Synthesizes the dev stack, plans it offline (all creates), then applies `edit` to a copy of the
 * synthesized JSON and plans that against a state built from the create plan.
 */
export async function planChange(edit: (stack: Json) => void): Promise<PlanPair> {
  const outdir = mkdtempSync(join(tmpdir(), "lf-review-synth-"));
  synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
  const [base] = listStacks(outdir);
  if (!base) throw new Error("no stack");
  const work = mkdtempSync(join(tmpdir(), "lf-review-work-"));
  const created = await planOffline(base, join(work, "create"));
  const schema = JSON.parse(await terraform(["providers", "schema", "-json"], { cwd: created.workdir, env: created.env })) as {
    provider_schemas: Record<string, { resource_schemas: Record<string, { block: Block }> }>;
  };
  const schemas = Object.values(schema.provider_schemas)[0]?.resource_schemas ?? {};
  const headOut = mkdtempSync(join(tmpdir(), "lf-review-head-"));
  const headDir = join(headOut, "stacks", base.name);
  mkdirSync(headDir, { recursive: true });
  cpSync(base.dir, headDir, { recursive: true });
  const headJson = JSON.parse(readFileSync(join(headDir, "cdk.tf.json"), "utf8")) as Json;
  edit(headJson);
  writeFileSync(join(headDir, "cdk.tf.json"), JSON.stringify(headJson, null, 2));
  const [head] = listStacks(headOut);
  if (!head) throw new Error("no head stack");
  const changedWork = join(work, "changed");
  mkdirSync(join(changedWork, base.name), { recursive: true });
  writeFileSync(
    join(changedWork, base.name, `terraform.${base.name}.tfstate`),
    JSON.stringify(stateFromCreatePlan(created.plan as Json, schemas)),
  );
  const changed = await planOffline(head, changedWork);
  return { create: created.plan as Json, changed: changed.plan as Json, baseStack: base.json as Json, headStack: headJson };
}
