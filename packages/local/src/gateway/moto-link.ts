import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { Reply } from "../http/reply.ts";
import { ADMIN_CREDENTIALS, type Credentials, LOCAL_REGION } from "../identity.ts";

/** A request on its way to moto: what the client sent, as the gateway read it. */
export interface MotoRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What an SDK client of moto is built from: the link's endpoint and its one connection. */
export interface MotoClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  readonly forcePathStyle: true;
  readonly requestHandler: { readonly httpAgent: Agent };
}

const SQS_POLL_MS = 100;

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
  const body = Buffer.from(
    reply.body.toString().replaceAll(`${HIDDEN_QUALIFIER}</CloudFunction>`, "</CloudFunction>"),
  );
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
  if (headers["x-amz-target"] === "AmazonSQS.ReceiveMessage") {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body.toString("utf8") || "{}");
    } catch {
      return undefined;
    }
    const waitSeconds = Number(request.WaitTimeSeconds ?? 0);
    if (!(waitSeconds > 0)) return undefined;
    return {
      waitSeconds,
      shortPoll: Buffer.from(JSON.stringify({ ...request, WaitTimeSeconds: 0 })),
      hasMessages: (reply) => {
        try {
          const answer = JSON.parse(reply.body.toString());
          return Array.isArray(answer.Messages) && answer.Messages.length > 0;
        } catch {
          return true;
        }
      },
    };
  }
  if (!String(headers["content-type"] ?? "").includes("x-www-form-urlencoded")) return undefined;
  const form = new URLSearchParams(body.toString("utf8"));
  const waitSeconds = Number(form.get("WaitTimeSeconds") ?? 0);
  if (form.get("Action") !== "ReceiveMessage" || !(waitSeconds > 0)) return undefined;
  form.set("WaitTimeSeconds", "0");
  return {
    waitSeconds,
    shortPoll: Buffer.from(form.toString()),
    hasMessages: (reply) => reply.body.toString().includes("<Message>"),
  };
}

/**
 * The gateway's one connection to moto, and every adaptation of moto's behaviour to AWS's.
 *
 * One connection, so moto handles one request at a time. Its recorder appends each request to the
 * recording without locking: concurrent requests interleaved entries and left a recording that
 * could not be replayed. One at a time, the recording is also exactly the order moto drew its
 * seeded ids in, so a replay recreates them. moto holds Python's GIL anyway.
 *
 * The gateway's own reads (notification configurations, bucket policies, object facts) and the log
 * shipping use {@link MotoLink.clientConfig}: straight to moto over the same connection, never
 * back through the gateway's pipeline.
 */
export class MotoLink {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly target: URL;

  constructor(readonly endpoint: string) {
    this.target = new URL(endpoint);
  }

  /**
   * Configuration for an SDK client that talks to moto over this link as the admin, e.g.
   * `new S3Client(link.clientConfig())`. Never `destroy()` such a client: the connection is shared.
   */
  clientConfig(region = LOCAL_REGION): MotoClientConfig {
    return {
      endpoint: this.endpoint,
      region,
      credentials: ADMIN_CREDENTIALS,
      forcePathStyle: true,
      requestHandler: { httpAgent: this.agent },
    };
  }

  /**
   * Passes a client's call to moto, adapted where moto would behave unlike AWS here. A bucket's
   * Lambda targets are stored unresolvable and read back as written (see {@link hideLambdaTargets}).
   * An SQS long poll (ReceiveMessage with WaitTimeSeconds) is waited out here, by short polls,
   * rather than in moto: moto gets one request at a time, and a 20 s wait there would hold up every
   * other call, the functions' included.
   */
  async call(request: MotoRequest, service: string): Promise<Reply> {
    if (service === "s3" && request.url.searchParams.has("notification")) {
      if (request.method === "PUT") return this.send(request, hideLambdaTargets(request.body));
      if (request.method === "GET") return restoreLambdaTargets(await this.send(request));
    }
    const poll = sqsLongPoll(request.headers, request.body);
    if (!poll) return this.send(request);
    const deadline = performance.now() + poll.waitSeconds * 1000;
    for (;;) {
      const reply = await this.send(request, poll.shortPoll);
      if (reply.status >= 300 || poll.hasMessages(reply) || performance.now() >= deadline) return reply;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(SQS_POLL_MS, deadline - performance.now())),
      );
    }
  }

  /** Sends a call to moto over the one connection; `body` replaces the client's when given. */
  private send(request: MotoRequest, body = request.body): Promise<Reply> {
    const target = this.target;
    return new Promise((resolve, reject) => {
      const headers: IncomingHttpHeaders = { ...request.headers, host: target.host };
      // A body `call` rewrote (a long poll made short, a notification target) has its own length,
      // and the client's checksum of it no longer holds.
      if (body !== request.body) {
        if (headers["content-length"] !== undefined) headers["content-length"] = String(body.length);
        for (const name of Object.keys(headers))
          if (
            name === "content-md5" ||
            name.startsWith("x-amz-checksum-") ||
            name === "x-amz-sdk-checksum-algorithm"
          )
            delete headers[name];
      }
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: `${request.url.pathname}${request.url.search}`,
          headers,
          agent: this.agent,
        },
        (response) => {
          const parts: Buffer[] = [];
          response.on("data", (c: Buffer) => parts.push(c));
          response.on("end", () => {
            const out: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(response.headers))
              if (v !== undefined && k !== "transfer-encoding") out[k] = v;
            resolve({ status: response.statusCode ?? 502, headers: out, body: Buffer.concat(parts) });
          });
          response.on("error", reject);
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
