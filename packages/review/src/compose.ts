import type { Traffic } from "@lambdaform/cost";
import { checkBaseline } from "@lambdaform/infra/policy";
import { costDelta, renderCostSection } from "./cost-delta.ts";
import { renderIamSection } from "./iam-render.ts";
import { iamReview } from "./iam-review.ts";
import { constructPaths } from "./iam-symbols.ts";
import type { ReviewInput } from "./inputs.ts";
import { policySection } from "./policy-check.ts";
import { labelsFor, type PlanLabel, type Provenance, renderComment } from "./render.ts";

/** A security-baseline finding on the head stack (the shared rules of packages/infra). */
export interface PolicyViolation {
  readonly rule: string;
  readonly checkov?: string;
  readonly title: string;
  readonly address: string;
  readonly message: string;
}

/** What a review needs beyond its input. */
export interface ComposeOptions {
  readonly sha?: string;
  readonly baseSha?: string;
  readonly versions?: Readonly<Record<string, string>>;
  readonly traffic: { readonly traffic: Traffic; readonly source: string };
  /** The security baseline run on the head stack (default: packages/infra's, as its tests run it). */
  readonly checkPolicies?: (head: Record<string, unknown>) => ReadonlyArray<PolicyViolation>;
  readonly limit?: number;
}

export interface ComposedReview {
  readonly stack: string;
  readonly comment: string;
  readonly labels: ReadonlyArray<PlanLabel>;
  readonly violations: ReadonlyArray<PolicyViolation>;
  /** What the comment records of its provenance (written beside the reviewed plan). */
  readonly provenance: Provenance;
}

/**
 * One stack's review: with the synthesized head (and base) stack, every IAM statement with symbolic
 * references, the policy checks, the cost delta and the resources by role; the labels it asks for.
 */
export function composeReview(input: ReviewInput, options: ComposeOptions): ComposedReview {
  const { set, head, base } = input;
  const paths = new Map([...(base ? constructPaths(base) : []), ...(head ? constructPaths(head) : [])]);
  const iam = head ? iamReview(base, head) : undefined;
  // A new stack creates every policy: that is an IAM change too.
  const iamChanged = iam !== undefined && iam.created.length + iam.changed.length + iam.removed.length > 0;
  const violations = head ? (options.checkPolicies ?? checkBaseline)(head) : [];
  const provenance: Provenance = {
    ...(options.sha ? { headSha: options.sha } : {}),
    ...(options.baseSha ? { baseSha: options.baseSha } : {}),
    ...(input.state?.lineage ? { lineage: input.state.lineage } : {}),
    ...(input.state?.serial !== undefined ? { serial: input.state.serial } : {}),
  };
  const labels = labelsFor(set, { iamChanged, violations: violations.length });
  const comment = renderComment(set, {
    ...(options.sha ? { sha: options.sha } : {}),
    ...(options.versions ? { versions: options.versions } : {}),
    ...(input.planText ? { planText: input.planText } : {}),
    ...(options.limit ? { limit: options.limit } : {}),
    paths,
    labels,
    provenance,
    violations: violations.length,
    sections: {
      ...(iam ? { iam: renderIamSection(iam) } : {}),
      ...(head ? { policy: policySection(violations) } : {}),
      ...(head
        ? { cost: renderCostSection(costDelta(base, head, options.traffic.traffic, options.traffic.source)) }
        : {}),
    },
  });
  return { stack: set.stack, comment, labels, violations, provenance };
}
