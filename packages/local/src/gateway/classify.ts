import type { IncomingHttpHeaders } from "node:http";

/** One AWS API call, as IAM sees it. */
export interface Operation {
  /** The SigV4 signing name: s3, dynamodb, ec2, monitoring, sqs, logs, … */
  readonly service: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | undefined>>;
}

/** What an S3 call acts on: the bucket, the key for object calls, and which kind of write it is. */
export interface S3Target {
  readonly bucket: string;
  readonly key?: string;
  /** For object writes: the event name's suffix S3 notifies them with (`ObjectCreated:<write>`). */
  readonly write?: "Put" | "Copy" | "CompleteMultipartUpload";
}

/** The signature's claims: who signs, for which region and service. */
export interface Signature {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** One signed AWS API call, read once: the signer, the IAM operation and, for S3, its target. */
export interface Call {
  readonly signature: Signature;
  /** undefined when the gateway does not recognise the operation (denied to functions). */
  readonly operation?: Operation;
  readonly s3?: S3Target;
}

export interface RequestFacts {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The access key id and signing service of a SigV4-signed request (header or presigned query). */
export function signatureOf(facts: Pick<RequestFacts, "headers" | "url">): Signature | undefined {
  const header = facts.headers.authorization;
  const credential =
    (typeof header === "string" ? /Credential=([^,\s]+)/.exec(header)?.[1] : undefined) ??
    facts.url.searchParams.get("X-Amz-Credential") ??
    undefined;
  if (!credential) return undefined;
  const [accessKeyId = "", , region = "", service = ""] = credential.split("/");
  return { accessKeyId, region, service };
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString("utf8") || "{}");
  } catch {
    return {};
  }
}

function formBody(facts: RequestFacts): URLSearchParams {
  const params = new URLSearchParams(facts.url.search);
  const contentType = String(header(facts.headers, "content-type") ?? "");
  if (contentType.includes("x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(facts.body.toString("utf8"))) params.append(k, v);
  }
  return params;
}

/** A queue URL (`http://host/<account>/<name>`) as an ARN. */
function queueArn(queueUrl: string, region: string, account: string): string {
  const parts = new URL(queueUrl, "http://x").pathname.split("/").filter(Boolean);
  return `arn:aws:sqs:${region}:${parts[0] ?? account}:${parts[1] ?? ""}`;
}

function s3Call(facts: RequestFacts): { operation: Operation; s3: S3Target } {
  const [bucket = "", ...keyParts] = facts.url.pathname.replace(/^\//, "").split("/");
  const key = decodeURIComponent(keyParts.join("/"));
  const q = facts.url.searchParams;
  const method = facts.method.toUpperCase();
  const context = { "aws:SecureTransport": facts.url.protocol === "https:" ? "true" : "false" };
  if (!key) {
    const sub = [
      "notification",
      "policy",
      "versioning",
      "encryption",
      "acl",
      "tagging",
      "publicAccessBlock",
      "location",
    ].find((s) => q.has(s));
    const action =
      method === "GET" && !sub
        ? "s3:ListBucket"
        : `s3:${method === "GET" ? "Get" : method === "DELETE" ? "Delete" : "Put"}Bucket${sub ? sub[0]?.toUpperCase() + sub.slice(1) : ""}`;
    return {
      operation: { service: "s3", action, resource: `arn:aws:s3:::${bucket}`, context },
      s3: { bucket },
    };
  }
  const object = (action: string, write?: S3Target["write"]) => ({
    operation: { service: "s3", action, resource: `arn:aws:s3:::${bucket}/${key}`, context },
    s3: write ? { bucket, key, write } : { bucket, key },
  });
  const versioned = q.has("versionId");
  if (method === "GET" || method === "HEAD")
    return object(versioned ? "s3:GetObjectVersion" : "s3:GetObject");
  if (method === "DELETE") return object(versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject");
  if (method === "PUT" && !q.has("partNumber"))
    return object("s3:PutObject", header(facts.headers, "x-amz-copy-source") !== undefined ? "Copy" : "Put");
  if (method === "POST" && q.has("uploadId")) return object("s3:PutObject", "CompleteMultipartUpload");
  return object("s3:PutObject");
}

/**
 * Reads a signed AWS API call once: who signed it, and its IAM action, resource and condition keys
 * for the services this system's functions call (the operation is undefined for anything else, and
 * the gateway then refuses a function caller: unknown means not allowed). Returns undefined for an
 * unsigned request.
 */
export function classify(facts: RequestFacts, region: string, account: string): Call | undefined {
  const signature = signatureOf(facts);
  return signature ? classifySigned(facts, signature, region, account) : undefined;
}

/** {@link classify} for a request whose signature was already read. */
export function classifySigned(
  facts: RequestFacts,
  signature: Signature,
  region: string,
  account: string,
): Call {
  if (signature.service === "s3") return { signature, ...s3Call(facts) };
  return { signature, operation: operationOf(signature.service, facts, region, account) };
}

function operationOf(
  service: string,
  facts: RequestFacts,
  region: string,
  account: string,
): Operation | undefined {
  const target = header(facts.headers, "x-amz-target");
  if (target) {
    const operation = target.split(".").at(-1) ?? "";
    const body = jsonBody(facts.body);
    switch (service) {
      case "dynamodb":
        return {
          service,
          action: `dynamodb:${operation}`,
          resource: `arn:aws:dynamodb:${region}:${account}:table/${String(body.TableName ?? "*")}`,
          context: {},
        };
      case "monitoring":
        return {
          service,
          action: `cloudwatch:${operation}`,
          resource: "*",
          context: { "cloudwatch:namespace": body.Namespace as string | undefined },
        };
      case "sqs":
        return {
          service,
          action: `sqs:${operation}`,
          resource: queueArn(String(body.QueueUrl ?? ""), region, account),
          context: {},
        };
      case "logs":
        return {
          service,
          action: `logs:${operation}`,
          resource: `arn:aws:logs:${region}:${account}:log-group:${String(body.logGroupName ?? "*")}${body.logStreamName ? `:log-stream:${String(body.logStreamName)}` : ""}`,
          context: {},
        };
      default:
        return undefined;
    }
  }
  const params = formBody(facts);
  const action = params.get("Action");
  if (!action) return undefined;
  switch (service) {
    case "ec2":
      return { service, action: `ec2:${action}`, resource: "*", context: {} };
    case "monitoring":
      return {
        service,
        action: `cloudwatch:${action}`,
        resource: "*",
        context: { "cloudwatch:namespace": params.get("Namespace") ?? undefined },
      };
    case "sqs":
      return {
        service,
        action: `sqs:${action}`,
        resource: queueArn(params.get("QueueUrl") ?? facts.url.pathname, region, account),
        context: {},
      };
    default:
      return undefined;
  }
}
