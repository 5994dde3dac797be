/**
 * The security baseline of a lambdaform stack, as rules over the synthesized stack: the parsed
 * `cdk.tf.json` (Terraform JSON syntax), plain objects in, violations out. infra's tests assert it
 * and the plan review reports it, from this one module. No CDKTF import here or in the modules it
 * reads (keep it that way: the review loads this without loading the CDK): stack-json.ts (lookups),
 * iam-documents.ts (policy documents), rule.ts, and the rules by area in rules-*.ts.
 */
import type { Rule } from "./rule.ts";
import { DATA_RULES } from "./rules-data.ts";
import { IAM_RULES } from "./rules-iam.ts";
import { OPERATIONS_RULES } from "./rules-operations.ts";
import type { StackJson } from "./stack-json.ts";

export type { Finding, Rule } from "./rule.ts";
export type { StackJson } from "./stack-json.ts";

export interface Violation {
  readonly rule: string;
  readonly checkov?: string;
  readonly title: string;
  readonly address: string;
  readonly message: string;
}

/** The baseline, in the order the review lists it. */
export const RULES: ReadonlyArray<Rule> = [...DATA_RULES, ...OPERATIONS_RULES, ...IAM_RULES];

/** Every rule on one synthesized stack: one violation per rule and offending resource, in rule order. */
export function checkBaseline(stack: StackJson): Violation[] {
  return RULES.flatMap((r) =>
    r.check(stack).map((f) => ({
      rule: r.id,
      ...(r.checkov ? { checkov: r.checkov } : {}),
      title: r.title,
      address: f.address,
      message: f.message,
    })),
  );
}
