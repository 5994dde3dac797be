/**
 * Drift as a reviewer needs it: what changed outside Terraform. A refresh often reads back an empty
 * value of another kind (null where the state holds [] or {}, the provider normalising) and, on a
 * parent resource, what a companion resource manages; neither is a change anyone made.
 */

/** Null, "", [] and {} (also nested): a refresh often reads one back where the state holds another. */
function empty(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) return value.every(empty);
  if (typeof value === "object") return Object.values(value).every(empty);
  return false;
}

/**
 * Attributes a separate resource manages (`aws_iam_role_policy`, `aws_s3_bucket_policy`, …): a
 * refresh reads them back into the parent resource, which Terraform then reports as drift on every
 * plan, for moto as for AWS.
 */
const MANAGED_ELSEWHERE: Readonly<Record<string, ReadonlyArray<string>>> = {
  aws_iam_role: ["inline_policy", "managed_policy_arns"],
  aws_s3_bucket: [
    "policy",
    "server_side_encryption_configuration",
    "versioning",
    "lifecycle_rule",
    "logging",
    "cors_rule",
    "acl",
    "grant",
    "website",
    "replication_configuration",
    "object_lock_configuration",
  ],
};

/**
 * The attributes a refresh found changed outside Terraform: values that differ, an empty value of
 * one kind being the same as another, and leaving out what a companion resource manages.
 */
export function driftedAttributes(before: unknown, after: unknown, type = ""): string[] {
  const elsewhere = MANAGED_ELSEWHERE[type] ?? [];
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  return [...new Set([...Object.keys(b), ...Object.keys(a)])].filter(
    (k) =>
      !elsewhere.includes(k) &&
      !(empty(b[k]) && empty(a[k])) &&
      JSON.stringify(b[k]) !== JSON.stringify(a[k]),
  );
}
