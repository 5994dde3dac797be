import type { IncomingHttpHeaders } from "node:http";

/** One AWS API call, as IAM sees it. */
export interface Operation {
  /** The SigV4 signing name: s3, dynamodb, ec2, monitoring, sqs, logs, … */
  readonly service: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | undefined>>;
  /** For S3 object writes: the bucket and key, so the gateway can send notifications. */
  readonly s3Object?: {
    readonly bucket: string;
    readonly key: string;
    readonly write?: "Put" | "Copy" | "CompleteMultipartUpload";
  };
  readonly s3Bucket?: string;
}

export interface RequestFacts {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The access key id and signing service of a SigV4-signed request (header or presigned query). */
export function signatureOf(
  facts: Pick<RequestFacts, "headers" | "url">,
): { accessKeyId: string; region: string; service: string } | undefined {
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

function s3Operation(facts: RequestFacts): Operation {
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
    return { service: "s3", action, resource: `arn:aws:s3:::${bucket}`, context, s3Bucket: bucket };
  }
  const object = (action: string, write?: "Put" | "Copy" | "CompleteMultipartUpload"): Operation => ({
    service: "s3",
    action,
    resource: `arn:aws:s3:::${bucket}/${key}`,
    context,
    s3Object: write ? { bucket, key, write } : { bucket, key },
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
 * Works out the IAM action, resource and condition keys of an AWS API call, for the services this
 * system's functions call. Returns undefined for anything else (the gateway then refuses a function
 * caller: unknown means not allowed).
 */
export function classify(facts: RequestFacts, region: string, account: string): Operation | undefined {
  const signature = signatureOf(facts);
  if (!signature) return undefined;
  const service = signature.service;
  if (service === "s3") return s3Operation(facts);
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

/** The service's own AccessDenied answer, naming the principal, the action and the resource. */
export function accessDenied(
  operation: Pick<Operation, "service" | "action" | "resource">,
  principalArn: string,
  why: string,
  requestId: string,
): { status: number; headers: Record<string, string>; body: string } {
  const message = `User: ${principalArn} is not authorized to perform: ${operation.action} on resource: ${operation.resource} because ${why}`;
  const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  switch (operation.service) {
    case "s3":
      return {
        status: 403,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
    case "ec2":
      return {
        status: 403,
        headers: { "content-type": "text/xml" },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. ${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case "monitoring":
      return {
        status: 403,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-requestid": requestId,
          "x-amzn-query-error": "AccessDenied;Sender",
        },
        body: JSON.stringify({ __type: "AccessDenied", message }),
      };
    default:
      return {
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": requestId },
        body: JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", message }),
      };
  }
}
