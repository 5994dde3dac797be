export type { ComposedReview, ComposeOptions, PolicyViolation } from "./compose.ts";
export { composeReview } from "./compose.ts";
export type { CostDelta } from "./cost-delta.ts";
export { costDelta, DEFAULT_TRAFFIC_FILE, readTraffic, renderCostSection } from "./cost-delta.ts";
export { driftedAttributes } from "./drift.ts";
export { syncLabels, upsertComment } from "./github.ts";
export type { ConstructPaths } from "./groups.ts";
export { groupChanges, renderGroups } from "./groups.ts";
export type { NormalStatement, StatementDiff } from "./iam-diff.ts";
export { diffPolicies, iamChanges, normalise } from "./iam-diff.ts";
export { renderIamSection } from "./iam-render.ts";
export { iamReview } from "./iam-review.ts";
export { constructPaths } from "./iam-symbols.ts";
export type { IamReview, SynthPolicy } from "./iam-synth.ts";
export { synthesizedPolicies } from "./iam-synth.ts";
export type { Delivery, ReviewInput, ReviewSources } from "./inputs.ts";
export { deliverReviews, ReviewInputError, reviewedCommit, reviewInputs, toolVersions } from "./inputs.ts";
export type { ChangeSet, ResourceChange } from "./plan.ts";
export { countChanges, PlanFormatError, parsePlan } from "./plan.ts";
export { policySection } from "./policy-check.ts";
export type { PlanLabel, Provenance, RenderOptions } from "./render.ts";
export {
  GITHUB_COMMENT_LIMIT,
  labelMarker,
  labelsFor,
  marker,
  PLAN_LABELS,
  renderComment,
} from "./render.ts";
export { diffSynth } from "./synth-diff.ts";
