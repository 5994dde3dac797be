import type { IncomingHttpHeaders } from "node:http";
import type { Reply } from "../http/reply.ts";

/**
 * Where moto answers unlike AWS, and how the gateway's moto link makes the answer AWS's. Each one
 * was found by what Terraform's AWS provider (5.100.0) does with the answer:
 *
 * - the provider's waiters on create are satisfied by moto's first answer (Lambda's `State` is
 *   `Active`, `LastUpdateStatus` is `Successful`, every SQS attribute reads back as sent), so they
 *   cost only their fixed delays (5 s before the first poll of `waitFunctionCreated` and
 *   `waitFunctionUpdated`; `waitQueueAttributesPropagated` wants six equal reads 5 s apart);
 * - but three moto behaviours would make a later plan differ from what was applied, so every
 *   apply would change the resource again and pay those waits again. They are corrected here.
 */

/** A request on its way to moto. */
export interface QuirkRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Sends a request to moto over the link (a rewritten body replaces the client's). */
export type SendToMoto = (request: QuirkRequest, body?: Buffer) => Promise<Reply>;

/**
 * moto "invokes" a bucket's Lambda targets on every object write: without Docker that fails, costs
 * a few ms per write and leaves an `error running docker` log stream in the function's log group.
 * The gateway sends those notifications itself, so moto is given each Lambda target with a
 * qualifier no function has (it stores it and skips the target), and reads get the ARN back as
 * written. Only what moto stores changes; Terraform, the CLI and the SDK see the real ARN.
 */
const HIDDEN_QUALIFIER = ":lambdaform-local";

export function hideLambdaTargets(xml: Buffer): Buffer {
  return Buffer.from(
    xml
      .toString("utf8")
      .replace(
        /<CloudFunction>\s*([^<]*?)\s*<\/CloudFunction>/g,
        (_, arn: string) => `<CloudFunction>${arn}${HIDDEN_QUALIFIER}</CloudFunction>`,
      ),
  );
}

export function restoreLambdaTargets(reply: Reply): Reply {
  return withBody(
    reply,
    Buffer.from(reply.body.toString().replaceAll(`${HIDDEN_QUALIFIER}</CloudFunction>`, "</CloudFunction>")),
  );
}

/** A reply with another body, its length header kept true. */
function withBody(reply: Reply, body: Buffer): Reply {
  const headers = { ...reply.headers };
  if (headers["content-length"] !== undefined) headers["content-length"] = String(body.length);
  return { ...reply, headers, body };
}

/**
 * An SQS ReceiveMessage that asks to wait (JSON protocol, as current SDKs and CLIs send it, or the
 * older query protocol): the wait, the same request asking not to wait, and how to tell whether an
 * answer carries messages. A request without WaitTimeSeconds is passed on as it is.
 */
export function sqsLongPoll(
  headers: IncomingHttpHeaders,
  body: Buffer,
): { waitSeconds: number; shortPoll: Buffer; hasMessages: (reply: Reply) => boolean } | undefined {
  const call = sqsCall(headers, body);
  if (call?.action !== "ReceiveMessage") return undefined;
  const waitSeconds = Number(call.param("WaitTimeSeconds") ?? 0);
  if (!(waitSeconds > 0)) return undefined;
  return {
    waitSeconds,
    shortPoll: call.with({ WaitTimeSeconds: 0 }),
    hasMessages: call.json
      ? (reply) => {
          try {
            const answer = JSON.parse(reply.body.toString());
            return Array.isArray(answer.Messages) && answer.Messages.length > 0;
          } catch {
            return true;
          }
        }
      : (reply) => reply.body.toString().includes("<Message>"),
  };
}

/** An SQS call in either protocol, read and rewritten the same way. */
interface SqsCall {
  readonly action: string;
  readonly json: boolean;
  readonly queueUrl: string | undefined;
  param(name: string): string | undefined;
  /** The queue attributes the call sets (SetQueueAttributes, CreateQueue). */
  readonly attributes: ReadonlyMap<string, string>;
  /** The body with these top-level parameters replaced. */
  with(params: Readonly<Record<string, number>>): Buffer;
  /** The body with these attributes added. */
  withAttributes(attributes: Readonly<Record<string, string>>): Buffer;
}

function sqsCall(headers: IncomingHttpHeaders, body: Buffer): SqsCall | undefined {
  const target = headers["x-amz-target"];
  if (typeof target === "string" && target.startsWith("AmazonSQS.")) {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body.toString("utf8") || "{}");
    } catch {
      return undefined;
    }
    const attributes = new Map(Object.entries((request.Attributes ?? {}) as Record<string, string>));
    return {
      action: target.slice("AmazonSQS.".length),
      json: true,
      queueUrl: typeof request.QueueUrl === "string" ? request.QueueUrl : undefined,
      param: (name) => (request[name] === undefined ? undefined : String(request[name])),
      attributes,
      with: (params) => Buffer.from(JSON.stringify({ ...request, ...params })),
      withAttributes: (added) =>
        Buffer.from(
          JSON.stringify({ ...request, Attributes: { ...Object.fromEntries(attributes), ...added } }),
        ),
    };
  }
  if (!String(headers["content-type"] ?? "").includes("x-www-form-urlencoded")) return undefined;
  const form = new URLSearchParams(body.toString("utf8"));
  const action = form.get("Action");
  if (!action) return undefined;
  const attributes = new Map<string, string>();
  for (let i = 1; form.has(`Attribute.${i}.Name`); i++)
    attributes.set(form.get(`Attribute.${i}.Name`) ?? "", form.get(`Attribute.${i}.Value`) ?? "");
  return {
    action,
    json: false,
    queueUrl: form.get("QueueUrl") ?? undefined,
    param: (name) => form.get(name) ?? undefined,
    attributes,
    with: (params) => {
      const out = new URLSearchParams(form);
      for (const [k, v] of Object.entries(params)) out.set(k, String(v));
      return Buffer.from(out.toString());
    },
    withAttributes: (added) => {
      const out = new URLSearchParams(form);
      let i = attributes.size + 1;
      for (const [k, v] of Object.entries(added)) {
        out.set(`Attribute.${i}.Name`, k);
        out.set(`Attribute.${i}.Value`, v);
        i += 1;
      }
      return Buffer.from(out.toString());
    },
  };
}

/**
 * SetQueueAttributes without `Policy` must leave the queue's policy alone, as on AWS; moto clears it.
 * (The provider's update of an `aws_sqs_queue` sends only the changed attributes, so after any
 * change the next plan would find the policy gone and set it again.) The call is sent with the
 * policy moto holds now.
 */
async function keepQueuePolicy(call: SqsCall, request: QuirkRequest, send: SendToMoto): Promise<Buffer> {
  if (call.attributes.has("Policy") || !call.queueUrl) return request.body;
  const read = call.json
    ? Buffer.from(JSON.stringify({ QueueUrl: call.queueUrl, AttributeNames: ["Policy"] }))
    : Buffer.from(
        new URLSearchParams({
          Action: "GetQueueAttributes",
          QueueUrl: call.queueUrl,
          "AttributeName.1": "Policy",
          Version: call.param("Version") ?? "2012-11-05",
        }).toString(),
      );
  const headers = call.json
    ? { ...request.headers, "x-amz-target": "AmazonSQS.GetQueueAttributes" }
    : request.headers;
  const reply = await send({ ...request, headers, body: read }, read);
  if (reply.status >= 300) return request.body;
  const policy = call.json
    ? (JSON.parse(reply.body.toString() || "{}") as { Attributes?: { Policy?: string } }).Attributes?.Policy
    : unescapeXml(/<Name>Policy<\/Name>\s*<Value>([^<]*)<\/Value>/.exec(reply.body.toString())?.[1] ?? "");
  return policy ? call.withAttributes({ Policy: policy }) : request.body;
}

const XML_ENTITIES: Record<string, string> = { quot: '"', apos: "'", lt: "<", gt: ">", amp: "&" };
const unescapeXml = (text: string) =>
  text.replace(/&(quot|apos|lt|gt|amp);/g, (_, name: string) => XML_ENTITIES[name] ?? "");
const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * AWS returns `RedrivePolicy` as compact JSON; moto spaces it (`json.dumps`), and the provider's
 * read of `aws_sqs_queue.redrive_policy` would then differ from the configuration on every plan.
 */
export function compactRedrivePolicy(reply: Reply, json: boolean): Reply {
  const text = reply.body.toString();
  if (!text.includes("RedrivePolicy")) return reply;
  const compact = (value: string) => {
    try {
      return JSON.stringify(JSON.parse(value));
    } catch {
      return value;
    }
  };
  if (json) {
    const answer = JSON.parse(text) as { Attributes?: Record<string, string> };
    for (const key of ["RedrivePolicy", "RedriveAllowPolicy"])
      if (answer.Attributes?.[key] !== undefined) answer.Attributes[key] = compact(answer.Attributes[key]);
    return withBody(reply, Buffer.from(JSON.stringify(answer)));
  }
  return withBody(
    reply,
    Buffer.from(
      text.replace(
        /(<Name>Redrive(?:Allow)?Policy<\/Name>\s*<Value>)([^<]*)(<\/Value>)/g,
        (_, open: string, value: string, close: string) =>
          `${open}${escapeXml(compact(unescapeXml(value)))}${close}`,
      ),
    ),
  );
}

const EVENT_INVOKE_CONFIG = /^\/2019-09-25\/functions\/[^/]+\/event-invoke-config$/;

/**
 * PutFunctionEventInvokeConfig replaces a function's configuration on AWS; moto appends the new one
 * and keeps answering the first, so a changed `aws_lambda_function_event_invoke_config` (say, its
 * retries) would read back unchanged forever. The old one is deleted first.
 */
async function replaceEventInvokeConfig(request: QuirkRequest, send: SendToMoto): Promise<void> {
  const empty = Buffer.alloc(0);
  const { "content-length": _, "content-type": __, ...headers } = request.headers;
  await send({ method: "DELETE", url: request.url, headers, body: empty }, empty);
}

/** Passes one call to moto with every adaptation above applied. */
export async function adaptedCall(request: QuirkRequest, service: string, send: SendToMoto): Promise<Reply> {
  if (service === "s3" && request.url.searchParams.has("notification")) {
    if (request.method === "PUT") return send(request, hideLambdaTargets(request.body));
    if (request.method === "GET") return restoreLambdaTargets(await send(request));
  }
  if (service === "lambda" && request.method === "PUT" && EVENT_INVOKE_CONFIG.test(request.url.pathname)) {
    await replaceEventInvokeConfig(request, send);
    return send(request);
  }
  if (service !== "sqs") return send(request);
  const call = sqsCall(request.headers, request.body);
  if (call?.action === "SetQueueAttributes") {
    const body = await keepQueuePolicy(call, request, send);
    return body === request.body ? send(request) : send(request, body);
  }
  if (call?.action === "GetQueueAttributes") {
    const reply = await send(request);
    return reply.status < 300 ? compactRedrivePolicy(reply, call.json) : reply;
  }
  return send(request);
}
