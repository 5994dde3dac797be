/**
 * S3's REST requests as IAM actions: `(level, method, sub-resource) → action`, from the Service
 * Authorization Reference's "Actions defined by Amazon S3" table
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html) and
 * each operation's "Permissions" section in the S3 API Reference. Where S3 names no action of its
 * own (DeleteBucketTagging, DeleteBucketEncryption, …) the reference gives the Put action.
 * Object operations on a version (`?versionId=`) use the `…Version…` action where one exists.
 */

/** A sub-resource's actions by method; `version` is the action for a request with `?versionId=`. */
type ByMethod = Partial<
  Record<"GET" | "HEAD" | "PUT" | "POST" | "DELETE", string | { plain: string; version: string }>
>;

const BUCKET: Record<string, ByMethod> = {
  "": { GET: "ListBucket", HEAD: "ListBucket", PUT: "CreateBucket", DELETE: "DeleteBucket" },
  versions: { GET: "ListBucketVersions" },
  uploads: { GET: "ListBucketMultipartUploads" },
  acl: { GET: "GetBucketAcl", PUT: "PutBucketAcl" },
  policy: { GET: "GetBucketPolicy", PUT: "PutBucketPolicy", DELETE: "DeleteBucketPolicy" },
  policyStatus: { GET: "GetBucketPolicyStatus" },
  notification: { GET: "GetBucketNotification", PUT: "PutBucketNotification" },
  versioning: { GET: "GetBucketVersioning", PUT: "PutBucketVersioning" },
  encryption: {
    GET: "GetEncryptionConfiguration",
    PUT: "PutEncryptionConfiguration",
    DELETE: "PutEncryptionConfiguration",
  },
  tagging: { GET: "GetBucketTagging", PUT: "PutBucketTagging", DELETE: "PutBucketTagging" },
  publicAccessBlock: {
    GET: "GetBucketPublicAccessBlock",
    PUT: "PutBucketPublicAccessBlock",
    DELETE: "PutBucketPublicAccessBlock",
  },
  ownershipControls: {
    GET: "GetBucketOwnershipControls",
    PUT: "PutBucketOwnershipControls",
    DELETE: "PutBucketOwnershipControls",
  },
  location: { GET: "GetBucketLocation" },
  lifecycle: {
    GET: "GetLifecycleConfiguration",
    PUT: "PutLifecycleConfiguration",
    DELETE: "PutLifecycleConfiguration",
  },
  cors: { GET: "GetBucketCORS", PUT: "PutBucketCORS", DELETE: "PutBucketCORS" },
  website: { GET: "GetBucketWebsite", PUT: "PutBucketWebsite", DELETE: "DeleteBucketWebsite" },
  logging: { GET: "GetBucketLogging", PUT: "PutBucketLogging" },
  "object-lock": { GET: "GetBucketObjectLockConfiguration", PUT: "PutBucketObjectLockConfiguration" },
  replication: {
    GET: "GetReplicationConfiguration",
    PUT: "PutReplicationConfiguration",
    DELETE: "PutReplicationConfiguration",
  },
  requestPayment: { GET: "GetBucketRequestPayment", PUT: "PutBucketRequestPayment" },
  accelerate: { GET: "GetAccelerateConfiguration", PUT: "PutAccelerateConfiguration" },
  // DeleteObjects: S3 checks s3:DeleteObject on every key it names (see deletedKeys).
  delete: { POST: "DeleteObject" },
};

const v = (plain: string, version: string) => ({ plain, version });

const OBJECT: Record<string, ByMethod> = {
  "": {
    GET: v("GetObject", "GetObjectVersion"),
    HEAD: v("GetObject", "GetObjectVersion"),
    PUT: "PutObject",
    DELETE: v("DeleteObject", "DeleteObjectVersion"),
  },
  acl: { GET: v("GetObjectAcl", "GetObjectVersionAcl"), PUT: v("PutObjectAcl", "PutObjectVersionAcl") },
  tagging: {
    GET: v("GetObjectTagging", "GetObjectVersionTagging"),
    PUT: v("PutObjectTagging", "PutObjectVersionTagging"),
    DELETE: v("DeleteObjectTagging", "DeleteObjectVersionTagging"),
  },
  attributes: { GET: v("GetObjectAttributes", "GetObjectVersionAttributes") },
  retention: { GET: "GetObjectRetention", PUT: "PutObjectRetention" },
  "legal-hold": { GET: "GetObjectLegalHold", PUT: "PutObjectLegalHold" },
  // Multipart uploads: CreateMultipartUpload, UploadPart and Complete are s3:PutObject.
  uploads: { POST: "PutObject" },
  uploadId: {
    GET: "ListMultipartUploadParts",
    PUT: "PutObject",
    POST: "PutObject",
    DELETE: "AbortMultipartUpload",
  },
  restore: { POST: "RestoreObject" },
  select: { POST: "GetObject" },
};

/** Query parameters that are not sub-resources: they refine an operation, never choose it. */
const PARAMETERS = new Set([
  "x-id",
  "prefix",
  "delimiter",
  "marker",
  "max-keys",
  "encoding-type",
  "list-type",
  "continuation-token",
  "fetch-owner",
  "start-after",
  "key-marker",
  "version-id-marker",
  "upload-id-marker",
  "max-uploads",
  "max-parts",
  "part-number-marker",
  "partNumber",
  "versionId",
  "select-type",
]);
const isParameter = (name: string) =>
  PARAMETERS.has(name) || /^(x-amz-|response-)/i.test(name) || name === "uploadId";

/** What a request does, as IAM names it; undefined when S3 defines no such request. */
export interface S3Action {
  readonly action: string;
  /** The request creates an object (and S3 notifies `ObjectCreated:<write>`). */
  readonly write?: "Put" | "Copy" | "CompleteMultipartUpload";
}

/**
 * The IAM action of an S3 REST request, or a reason it has none: an unknown sub-resource, two
 * sub-resources at once, or a method the sub-resource does not take. Only a plain PUT of an
 * object, a copy and a multipart completion create objects; `?acl`, `?tagging` and the like do
 * not, and send no notification.
 */
export function s3Action(
  method: string,
  query: URLSearchParams,
  onObject: boolean,
  copySource: boolean,
): S3Action | { readonly unknown: string } {
  const keys = [...new Set(query.keys())];
  const subresources = keys.filter((k) => !isParameter(k));
  const level = onObject ? "object" : "bucket";
  if (subresources.length > 1)
    return { unknown: `two ${level} sub-resources at once (?${subresources.join(", ?")})` };
  const upper = method.toUpperCase() as keyof ByMethod;
  // A multipart upload's requests name it by ?uploadId=…; ?uploads starts one.
  const sub = subresources[0] ?? (onObject && query.has("uploadId") ? "uploadId" : "");
  const table = onObject ? OBJECT : BUCKET;
  const entry = Object.hasOwn(table, sub) ? table[sub]?.[upper] : undefined;
  if (!entry)
    return {
      unknown: sub ? `${method} of the ${level} sub-resource ?${sub}` : `${method} of a ${level}`,
    };
  const versioned = query.has("versionId");
  const action = `s3:${typeof entry === "string" ? entry : versioned ? entry.version : entry.plain}`;
  if (onObject && sub === "" && upper === "PUT") return { action, write: copySource ? "Copy" : "Put" };
  if (onObject && sub === "uploadId" && upper === "POST") return { action, write: "CompleteMultipartUpload" };
  return { action };
}

/** The keys (and versions) a DeleteObjects body names: S3 checks each one. */
export function deletedKeys(body: Buffer): Array<{ key: string; versionId?: string }> {
  const text = body.toString("utf8");
  const xmlText = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&#(x?)([0-9a-fA-F]+);/g, (_, hex: string, n: string) =>
        String.fromCodePoint(Number.parseInt(n, hex ? 16 : 10)),
      )
      .replace(/&amp;/g, "&");
  return [...text.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => {
    const inner = m[1] ?? "";
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(inner)?.[1];
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(inner)?.[1];
    return { key: xmlText(key ?? ""), ...(versionId ? { versionId: xmlText(versionId) } : {}) };
  });
}
