export { upsertComment } from "./github.ts";
export type { NormalStatement, StatementDiff } from "./iam-diff.ts";
export { diffPolicies, iamChanges, normalise } from "./iam-diff.ts";
export type { ChangeSet, ResourceChange } from "./plan.ts";
export { countChanges, PlanFormatError, parsePlan } from "./plan.ts";
export type { RenderOptions } from "./render.ts";
export { GITHUB_COMMENT_LIMIT, marker, renderComment } from "./render.ts";
export { diffSynth } from "./synth-diff.ts";
