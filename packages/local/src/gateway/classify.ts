import type { IncomingHttpHeaders } from "node:http";
import { type ErrorShape, errorShapeOf, refuse } from "./aws-error.ts";
import { dynamodbChecks } from "./dynamodb-checks.ts";
import { s3Call } from "./s3-call.ts";
import { parseSignature, type Signature } from "./sigv4.ts";

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

export type { Signature } from "./sigv4.ts";

/** One signed AWS API call, read once: the signer, the IAM operation and, for S3, its target. */
export interface Call {
  readonly signature: Signature;
  /** The call's own IAM operation; undefined when the gateway does not recognise it. */
  readonly operation?: Operation;
  /**
   * Everything IAM checks for the call, the operation first: a copy's source, each key of a
   * DeleteObjects, each table of a batch or transaction. All must be allowed.
   */
  readonly checks: ReadonlyArray<Operation>;
  /** Why the operation is not recognised (a function is then refused, with this reason). */
  readonly unrecognised?: string;
  readonly s3?: S3Target;
}

export interface RequestFacts {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** The headers as sent, names and values alternating (Node joins or drops repeated ones). */
  readonly rawHeaders?: ReadonlyArray<string>;
  readonly body: Buffer;
}

/** The SigV4 signer of a request (header or presigned query); see {@link parseSignature}. */
export function signatureOf(
  facts: Pick<RequestFacts, "headers" | "url" | "rawHeaders">,
): Signature | undefined {
  return parseSignature(facts.headers, facts.rawHeaders ?? [], facts.url);
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** A JSON-protocol body: the object both this and moto read (JSON.parse, like Python, keeps a repeated key's last value). */
function jsonBody(body: Buffer, shape: ErrorShape): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8") || "{}");
  } catch {
    refuse(shape, "SerializationException", "the request body is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    refuse(shape, "SerializationException", "the request body must be a JSON object");
  return value as Record<string, unknown>;
}

/**
 * A query-protocol request's parameters: the URL's and a form body's together. A name given twice
 * (in the URL and the body, or twice in one) is refused: the gateway must authorize the very
 * operation moto runs, and which of two values moto would take is not for it to guess.
 */
function formParams(facts: RequestFacts, shape: ErrorShape): URLSearchParams {
  const params = new URLSearchParams(facts.url.search);
  const type = mimeType(facts);
  if (type === "multipart/form-data")
    refuse(
      shape,
      "InvalidParameterCombination",
      "query-protocol calls send a URL-encoded form, not multipart",
    );
  const form = type === "application/x-www-form-urlencoded" && facts.body.length > 0;
  // moto reads the form and then ignores the URL's query entirely: both at once is refused.
  if (form && facts.url.search !== "")
    refuse(shape, "InvalidParameterCombination", "parameters go in the URL or in the form body, not both");
  if (form) for (const [k, v] of new URLSearchParams(facts.body.toString("utf8"))) params.append(k, v);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    const folded = name.toLowerCase();
    if (seen.has(folded))
      refuse(
        shape,
        "InvalidParameterCombination",
        `the parameter ${name} is given more than once (URL and body)`,
      );
    seen.add(folded);
  }
  return params;
}

/** The body's media type, lower-cased without parameters (as werkzeug reads it). */
function mimeType(facts: RequestFacts): string {
  return (
    String(header(facts.headers, "content-type") ?? "")
      .split(";")[0]
      ?.trim()
      .toLowerCase() ?? ""
  );
}

/**
 * Whether a body, read as a query string the way Python's `parse_qsl` reads it, names an Action:
 * moto reads a JSON call's body that way when it has no form and no URL query, and an `Action`
 * found there wins over `X-Amz-Target`.
 */
function bodyNamesAction(body: Buffer): boolean {
  return body
    .toString("utf8")
    .split("&")
    .some((part) => {
      const name = part.split("=", 1)[0] ?? "";
      try {
        return decodeURIComponent(name.replace(/\+/g, " ")).trim().toLowerCase() === "action";
      } catch {
        return /action/i.test(name);
      }
    });
}

/** `http(s)://<host>/<12-digit account>/<queue name>`, nothing before, between or after. */
const QUEUE_URL = /^https?:\/\/[^/?#]+\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/;

/** A queue URL as an ARN, its shape checked exactly (moto takes the name from its last segment). */
function queueArn(queueUrl: string, region: string): string {
  const parts = QUEUE_URL.exec(queueUrl);
  if (!parts)
    refuse(
      "json",
      "AWS.SimpleQueueService.NonExistentQueue",
      `"${queueUrl}" is not a queue URL (http://<host>/<account>/<queue name>)`,
    );
  return `arn:aws:sqs:${region}:${parts[1]}:${parts[2]}`;
}

/**
 * Reads a signed AWS API call once: who signed it, and its IAM action, resource and condition keys
 * for the services this system's functions call (the operation is undefined for anything else, and
 * the gateway then refuses a function caller: unknown means not allowed). Returns undefined for an
 * unsigned request.
 *
 * @throws {Refused} for a request moto would read otherwise than the gateway (a malformed
 * signature, an operation named twice, a queue URL of another shape, a bad % escape).
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
  const target = header(facts.headers, "x-amz-target");
  const found = target
    ? jsonOperation(signature.service, target, facts, region, account)
    : queryOperation(signature.service, facts, region, account);
  if (Array.isArray(found)) return { signature, operation: found[0], checks: found };
  return { signature, checks: [], unrecognised: found.unknown };
}

type Found = Operation[] | { readonly unknown: string };

/** A JSON-protocol call (`X-Amz-Target`): the operation is the target's, and nothing else may name one. */
function jsonOperation(
  service: string,
  target: string,
  facts: RequestFacts,
  region: string,
  account: string,
): Found {
  const shape = errorShapeOf(service);
  if (facts.url.pathname !== "/" || facts.url.search !== "")
    refuse(shape, "InvalidParameterCombination", "a call with X-Amz-Target goes to / with no query string");
  const type = mimeType(facts);
  if (type === "application/x-www-form-urlencoded" || type === "multipart/form-data")
    refuse(shape, "InvalidParameterCombination", "a call with X-Amz-Target has a JSON body, not a form");
  if (bodyNamesAction(facts.body))
    refuse(shape, "InvalidParameterCombination", "a call with X-Amz-Target names no Action in its body");
  const name = target.split(".").at(-1) ?? "";
  const body = jsonBody(facts.body, shape);
  const op = (action: string, resource: string, context: Operation["context"] = {}): Operation => ({
    service,
    action,
    resource,
    context,
  });
  switch (service) {
    case "dynamodb":
      if (/^(Execute(Statement|Transaction)|BatchExecuteStatement)$/.test(name))
        return { unknown: `dynamodb ${name} (a PartiQL statement names its tables in SQL)` };
      return dynamodbChecks(name, body, `arn:aws:dynamodb:${region}:${account}:table/`).map((c) =>
        op(`dynamodb:${c.action}`, c.resource),
      );
    case "monitoring":
      return [
        op(`cloudwatch:${name}`, "*", { "cloudwatch:namespace": stringField(body, "Namespace", shape) }),
      ];
    case "sqs":
      return [op(`sqs:${name}`, sqsResource(body.QueueUrl, body.QueueName, region, account))];
    case "logs":
      return [
        op(
          `logs:${name}`,
          `arn:aws:logs:${region}:${account}:log-group:${String(body.logGroupName ?? "*")}${body.logStreamName ? `:log-stream:${String(body.logStreamName)}` : ""}`,
        ),
      ];
    default:
      return { unknown: `${service} ${name}` };
  }
}

/** A body field that must be a string when present. */
function stringField(body: Record<string, unknown>, name: string, shape: ErrorShape): string | undefined {
  const value = body[name];
  if (value === undefined || typeof value === "string") return value;
  refuse(shape, "ValidationException", `${name} must be a string`);
}

function sqsResource(queueUrl: unknown, queueName: unknown, region: string, account: string): string {
  if (queueUrl !== undefined) return queueArn(String(queueUrl), region);
  return typeof queueName === "string" ? `arn:aws:sqs:${region}:${account}:${queueName}` : "*";
}

/** A query-protocol call: `Action` exactly once, in the URL or the form body. */
function queryOperation(service: string, facts: RequestFacts, region: string, account: string): Found {
  const shape = errorShapeOf(service);
  const params = formParams(facts, shape);
  const action = params.get("Action");
  if (!action) return { unknown: `${service} call with no Action` };
  switch (service) {
    case "ec2":
      if (facts.url.pathname !== "/") refuse(shape, "InvalidAction", "EC2 calls go to /");
      return [{ service, action: `ec2:${action}`, resource: "*", context: {} }];
    case "monitoring":
      if (facts.url.pathname !== "/") refuse(shape, "InvalidAction", "CloudWatch calls go to /");
      return [
        {
          service,
          action: `cloudwatch:${action}`,
          resource: "*",
          context: { "cloudwatch:namespace": params.get("Namespace") ?? undefined },
        },
      ];
    case "sqs": {
      // An older client sends a queue's calls to its URL; then the path and any QueueUrl agree.
      const queueUrl = params.get("QueueUrl") ?? undefined;
      const path = facts.url.pathname;
      if (path !== "/" && queueUrl !== undefined && new URL(queueUrl, "http://x").pathname !== path)
        refuse(
          shape,
          "InvalidParameterCombination",
          `the path ${path} and QueueUrl ${queueUrl} name different queues`,
        );
      const url = queueUrl ?? (path !== "/" ? `http://${facts.url.host}${path}` : undefined);
      return [
        {
          service,
          action: `sqs:${action}`,
          resource: sqsResource(url, params.get("QueueName") ?? undefined, region, account),
          context: {},
        },
      ];
    }
    default:
      return { unknown: `${service} ${action}` };
  }
}
