import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { Reply } from "../http/reply.ts";
import { ADMIN_CREDENTIALS, type Credentials, LOCAL_REGION } from "../identity.ts";
import { adaptedCall, sqsLongPoll } from "./moto-quirks.ts";

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
  /**
   * These clients go straight to moto, past the gateway that inflates gzipped bodies: moto 5.2.1
   * answers a gzipped CloudWatch call with a 500 (see content-encoding.ts).
   */
  readonly disableRequestCompression: true;
}

const SQS_POLL_MS = 100;

/**
 * Headers that describe moto's connection to the gateway, not the answer: a proxy drops them
 * (RFC 9110 §7.6.1). moto's server closes every connection (`Connection: close`); passed on, that
 * closed every client's kept-alive connection to the gateway after each call too.
 */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

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
      disableRequestCompression: true,
    };
  }

  /**
   * Passes a client's call to moto, adapted where moto would behave unlike AWS here (see
   * moto-quirks.ts). An SQS long poll (ReceiveMessage with WaitTimeSeconds) is waited out here, by
   * short polls, rather than in moto: moto gets one request at a time, and a 20 s wait there would
   * hold up every other call, the functions' included.
   */
  async call(request: MotoRequest, service: string): Promise<Reply> {
    const send = (r: MotoRequest, body?: Buffer) => this.send(r, body);
    const poll = service === "sqs" ? sqsLongPoll(request.headers, request.body) : undefined;
    if (!poll) return adaptedCall(request, service, send);
    const deadline = performance.now() + poll.waitSeconds * 1000;
    for (;;) {
      const reply = await this.send(request, poll.shortPoll);
      if (reply.status >= 300 || poll.hasMessages(reply) || performance.now() >= deadline) return reply;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(SQS_POLL_MS, deadline - performance.now())),
      );
    }
  }

  /**
   * Sends a call to moto over the one connection. A `body` given replaces the client's: its length
   * is set and the client's checksums of the old body are dropped.
   */
  private send(request: MotoRequest, body?: Buffer): Promise<Reply> {
    const target = this.target;
    return new Promise((resolve, reject) => {
      const headers: IncomingHttpHeaders = { ...request.headers, host: target.host };
      if (body !== undefined) {
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
              if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
            resolve({ status: response.statusCode ?? 502, headers: out, body: Buffer.concat(parts) });
          });
          response.on("error", reject);
        },
      );
      upstream.on("error", reject);
      upstream.end(body ?? request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
