import { refuse } from "./aws-error.ts";
import type { Call, Operation, RequestFacts, S3Target } from "./classify.ts";
import { deletedKeys, s3Action } from "./s3-actions.ts";

// An S3 REST call read the way moto reads it: the path decoded before the bucket is split off, the
// action from s3-actions.ts, and every check it needs (a copy's source, each key of a DeleteObjects).

const decode = (text: string, what: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    refuse("s3", "InvalidURI", `Couldn't parse the specified URI: ${what} has a malformed % escape.`);
  }
};

/** The bucket, key and version of an `x-amz-copy-source` (`[/]bucket/key[?versionId=…]`, URL-encoded). */
function copySource(value: string): { bucket: string; key: string; versionId?: string } {
  // moto parses the header as a URL before it decodes it: a fragment (#), path parameters (;), a
  // scheme or an authority would name another object than the one checked here.
  if (/[#;\\]/.test(value) || /^(\/\/|[A-Za-z][A-Za-z0-9+.-]*:)/.test(value))
    refuse("s3", "InvalidArgument", `x-amz-copy-source "${value}" must be <bucket>/<key>[?versionId=…]`);
  const [rawPath = "", query = ""] = value.split("?", 2);
  const path = decode(rawPath, "x-amz-copy-source").replace(/^\//, "");
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1)
    refuse("s3", "InvalidArgument", `x-amz-copy-source "${value}" is not <bucket>/<key>`);
  const versionId = new URLSearchParams(query).get("versionId") ?? undefined;
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), ...(versionId ? { versionId } : {}) };
}

export function s3Call(facts: RequestFacts): Omit<Call, "signature"> {
  // moto decodes the path before it splits off the bucket, so a %2F in the first segment is a slash.
  const [bucket = "", ...keyParts] = decode(facts.url.pathname, "the path").replace(/^\//, "").split("/");
  const key = keyParts.join("/");
  const q = facts.url.searchParams;
  // The gateway speaks plain HTTP, whatever an absolute-form request target claims.
  const context = { "aws:SecureTransport": "false" };
  const operation = (action: string, resource: string): Operation => ({
    service: "s3",
    action,
    resource,
    context,
  });
  if (!bucket) {
    const listing = facts.method.toUpperCase() === "GET" && [...q.keys()].every((k) => k === "x-id");
    return listing
      ? { operation: operation("s3:ListAllMyBuckets", "*"), checks: [operation("s3:ListAllMyBuckets", "*")] }
      : { checks: [], unrecognised: `${facts.method} of the S3 service root` };
  }
  const copyHeader = facts.headers["x-amz-copy-source"];
  const source = typeof copyHeader === "string" ? copyHeader : undefined;
  const found = s3Action(facts.method, q, key !== "", source !== undefined);
  const s3: S3Target = { bucket, ...(key ? { key } : {}) };
  if ("unknown" in found) return { checks: [], unrecognised: `S3 ${found.unknown}`, s3 };
  const primary = operation(found.action, key ? `arn:aws:s3:::${bucket}/${key}` : `arn:aws:s3:::${bucket}`);
  const checks = [primary];
  if (source !== undefined && key) {
    // CopyObject and UploadPartCopy read their source: s3:GetObject(Version) on it.
    const from = copySource(source);
    checks.push(
      operation(
        from.versionId ? "s3:GetObjectVersion" : "s3:GetObject",
        `arn:aws:s3:::${from.bucket}/${from.key}`,
      ),
    );
  }
  const deleteObjects = !key && found.action === "s3:DeleteObject";
  const deleted = deleteObjects ? deletedKeys(facts.body) : [];
  if (deleted === undefined)
    refuse(
      "s3",
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema.",
    );
  for (const object of deleted)
    checks.push(
      operation(
        object.versionId ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
        `arn:aws:s3:::${bucket}/${object.key}`,
      ),
    );
  return {
    operation: primary,
    // DeleteObjects itself is no IAM action: only its keys are checked.
    checks: deleteObjects ? checks.slice(1) : checks,
    s3: found.write && key ? { bucket, key, write: found.write } : s3,
  };
}
