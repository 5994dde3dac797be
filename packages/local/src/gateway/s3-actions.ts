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
  // An UploadPart names its part; moto runs a PUT with ?uploadId and no part as a plain PutObject.
  if (onObject && sub === "uploadId" && upper === "PUT" && !query.has("partNumber"))
    return { unknown: "PUT of ?uploadId without partNumber" };
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

/** XML character data with only the predefined and numeric entities: no markup, no CDATA. */
const TEXT = "(?:[^<&]|&(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)*";
const OBJECT_FIELD = new RegExp(`^\\s*<(Key|VersionId|ETag|LastModifiedTime|Size)>(${TEXT})</\\1>`);
const QUIET = /^\s*<Quiet>\s*(?:true|false)\s*<\/Quiet>/;

function xmlText(text: string): string | undefined {
  let bad = false;
  const out = text.replace(/&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
    if (Object.hasOwn(named, entity)) return named[entity] ?? "";
    const code = entity.startsWith("#x")
      ? Number.parseInt(entity.slice(2), 16)
      : Number.parseInt(entity.slice(1), 10);
    if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) bad = true;
    return bad ? "" : String.fromCodePoint(code);
  });
  return bad ? undefined : out;
}

/**
 * The keys (and versions) a DeleteObjects body names: S3 checks each one. The body must be the
 * plain shape the API Reference gives (`<Delete>` with `<Quiet>` and `<Object>`s of `<Key>`,
 * `<VersionId>`, …, whitespace between), nothing else: comments, CDATA, attributes, processing
 * instructions or other elements make XML parsers disagree on the keys, and the gateway must
 * check the keys moto deletes. Undefined for anything else (answered MalformedXML).
 */
export function deletedKeys(body: Buffer): Array<{ key: string; versionId?: string }> | undefined {
  let rest = body.toString("utf8").replace(/^\s*<\?xml version="1\.0"(?: encoding="UTF-8")?\s*\?>/i, "");
  const open = /^\s*<Delete(?:\s+xmlns="[^"<>&]*")?\s*>/.exec(rest);
  if (!open) return undefined;
  rest = rest.slice(open[0].length);
  const keys: Array<{ key: string; versionId?: string }> = [];
  for (;;) {
    const quiet = QUIET.exec(rest);
    if (quiet) {
      rest = rest.slice(quiet[0].length);
      continue;
    }
    const object = /^\s*<Object>/.exec(rest);
    if (!object) break;
    rest = rest.slice(object[0].length);
    const fields = new Map<string, string>();
    for (let field = OBJECT_FIELD.exec(rest); field; field = OBJECT_FIELD.exec(rest)) {
      const [whole, name = "", raw = ""] = field;
      const value = xmlText(raw);
      if (fields.has(name) || value === undefined) return undefined;
      fields.set(name, value);
      rest = rest.slice(whole.length);
    }
    const close = /^\s*<\/Object>/.exec(rest);
    const key = fields.get("Key");
    if (!close || key === undefined) return undefined;
    rest = rest.slice(close[0].length);
    const versionId = fields.get("VersionId");
    keys.push({ key, ...(versionId ? { versionId } : {}) });
  }
  return /^\s*<\/Delete>\s*$/.test(rest) ? keys : undefined;
}
