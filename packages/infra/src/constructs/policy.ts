import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { Construct } from "../cdktf.ts";

/** One IAM statement, typed (never inline JSON). */
export interface Statement {
  readonly sid: string;
  readonly effect?: "Allow" | "Deny";
  readonly actions: ReadonlyArray<string>;
  readonly resources: ReadonlyArray<string>;
  readonly principals?: ReadonlyArray<{ readonly type: string; readonly identifiers: ReadonlyArray<string> }>;
  readonly conditions?: ReadonlyArray<{
    readonly test: string;
    readonly variable: string;
    readonly values: ReadonlyArray<string>;
  }>;
}

/**
 * An IAM policy document built by Terraform's `aws_iam_policy_document`. That data source is
 * evaluated by the provider itself, without calling AWS, so an offline plan still works, and each
 * statement stays structured in the synthesized JSON for tests and reviews.
 */
export function policyDocument(
  scope: Construct,
  id: string,
  statements: ReadonlyArray<Statement>,
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: statements.map((s) => ({
      sid: s.sid,
      effect: s.effect ?? "Allow",
      actions: [...s.actions],
      resources: [...s.resources],
      principals: s.principals?.map((p) => ({ type: p.type, identifiers: [...p.identifiers] })),
      condition: s.conditions?.map((c) => ({ test: c.test, variable: c.variable, values: [...c.values] })),
    })),
  });
}

/** A trust policy letting one AWS service assume a role. */
export function serviceTrustPolicy(scope: Construct, id: string, service: string): DataAwsIamPolicyDocument {
  return policyDocument(scope, id, [
    {
      sid: "AssumedBy",
      actions: ["sts:AssumeRole"],
      resources: [],
      principals: [{ type: "Service", identifiers: [service] }],
    },
  ]);
}
