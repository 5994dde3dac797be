import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthesize } from "../src/app.ts";
import type { StageName } from "../src/config/stages.ts";

export type Json = Record<string, unknown>;
export type TfResource = Json & { "//"?: unknown };

/** A synthesized stack as JSON, with lookups by resource type and by Terraform reference. */
export class SynthStack {
  constructor(
    readonly name: string,
    readonly json: Json,
  ) {}

  /** Resources of one type, by their logical id. */
  resources(type: string): Record<string, TfResource> {
    return ((this.json.resource as Json)?.[type] as Record<string, TfResource>) ?? {};
  }

  /** The single resource of a type (fails if there are several or none). */
  only(type: string): TfResource {
    const all = Object.values(this.resources(type));
    if (all.length !== 1) throw new Error(`${this.name}: expected one ${type}, found ${all.length}`);
    return all[0] as TfResource;
  }

  dataSources(type: string): Record<string, Json> {
    return ((this.json.data as Json)?.[type] as Record<string, Json>) ?? {};
  }

  /** Resolves `${data.aws_iam_policy_document.<id>.json}` to that document's statements. */
  policyStatements(reference: unknown): PolicyStatement[] {
    const match = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(reference));
    if (!match?.[1]) throw new Error(`${this.name}: not a policy document reference: ${String(reference)}`);
    const doc = this.dataSources("aws_iam_policy_document")[match[1]];
    if (!doc) throw new Error(`${this.name}: no policy document ${match[1]}`);
    return doc.statement as PolicyStatement[];
  }

  /** `${<type>.<id>.<attribute>}` of a resource with the given logical id. */
  static ref(type: string, id: string, attribute: string): string {
    return `\${${type}.${id}.${attribute}}`;
  }

  /** The logical id of the resource whose attribute a reference names. */
  idOf(type: string, predicate: (resource: TfResource) => boolean): string {
    const entry = Object.entries(this.resources(type)).find(([, r]) => predicate(r));
    if (!entry) throw new Error(`${this.name}: no ${type} matches`);
    return entry[0];
  }
}

export interface PolicyStatement {
  sid: string;
  effect: "Allow" | "Deny";
  actions: string[];
  resources: string[];
  principals?: Array<{ type: string; identifiers: string[] }>;
  condition?: Array<{ test: string; variable: string; values: string[] }>;
}

let cached: { outdir: string; stacks: Record<StageName, SynthStack> } | undefined;

/** Synthesizes both stages once per test run, into a temporary directory, with the local backend. */
export function synthOnce(): { outdir: string; stacks: Record<StageName, SynthStack> } {
  if (cached) return cached;
  const outdir = mkdtempSync(join(tmpdir(), "lambdaform-synth-"));
  synthesize({ outdir, backend: { kind: "local" } });
  const read = (stack: string) =>
    new SynthStack(stack, JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")));
  cached = { outdir, stacks: { dev: read("lambdaform-dev"), prod: read("lambdaform-prod") } };
  return cached;
}

/** The function resource and its role policy statements, by function role name (e.g. "s3-processor"). */
export function functionOf(stack: SynthStack, role: string) {
  const functionId = stack.idOf("aws_lambda_function", (r) => String(r.function_name).endsWith(`-${role}`));
  const fn = stack.resources("aws_lambda_function")[functionId] as TfResource;
  const roleId = /^\$\{aws_iam_role\.([^.]+)\.arn\}$/.exec(String(fn.role))?.[1];
  const policy = Object.values(stack.resources("aws_iam_role_policy")).find(
    (p) => p.role === `\${aws_iam_role.${roleId}.id}`,
  );
  if (!roleId || !policy) throw new Error(`${stack.name}: ${role} has no role policy`);
  return {
    id: functionId,
    fn,
    roleId,
    role: stack.resources("aws_iam_role")[roleId] as TfResource,
    statements: stack.policyStatements(policy.policy),
  };
}
