import type { Reply } from "../http/reply.ts";
import { LOCAL_ACCOUNT_ID } from "../identity.ts";
import { S3Notifier } from "../sources/s3/notifier.ts";
import { Authorizer, type IamMode } from "./authorizer.ts";
import { type Call, classifySigned, type Operation, type Signature } from "./classify.ts";
import type { Faults } from "./faults.ts";
import { MotoLink } from "./moto-link.ts";
import type { Routing } from "./routing.ts";
import { type GatewayRequest, GatewayServer } from "./server.ts";

export type { IamMode } from "./authorizer.ts";

export interface GatewayOptions {
  readonly motoEndpoint: string;
  readonly iam: IamMode;
  readonly log: (line: string) => void;
  /** The control API under /_lambdaform/ (health, trigger, …); undefined means no such route. */
  readonly control?: (
    request: {
      readonly path: string;
      readonly method: string;
      readonly body: Buffer;
      readonly query: URLSearchParams;
    },
    routing: Routing | undefined,
  ) => Promise<Reply | undefined>;
  /** Sees every call moto answered (benchmarks time upload-to-row by the processor's PutItem). */
  readonly observe?: (call: ObservedCall) => void;
  /** `pnpm dev --faults`: services made unavailable, S3 events delivered twice or out of order. */
  readonly faults?: Faults;
}

/** An AWS API call the gateway passed to moto, with moto's answer. */
export interface ObservedCall {
  /** The IAM operation, when the gateway recognised it. */
  readonly operation?: Operation;
  readonly requestBody: Buffer;
  readonly status: number;
}

/** Before anything is deployed: API routes do not exist yet, as on AWS before a deployment. */
const NO_ROUTE: Reply = {
  status: 403,
  headers: { "content-type": "application/json", "x-amzn-ErrorType": "MissingAuthenticationTokenException" },
  body: '{"message":"Missing Authentication Token"}',
};

/** A change of a bucket's notification configuration or policy makes the cached copy stale. */
const BUCKET_CONFIG_CHANGE = /^s3:(Put|Delete)Bucket(Notification|Policy)$/;

/**
 * The one loopback port everything talks to, as a pipeline: the server (HTTP in; control, API
 * Gateway or AWS API), classify (one reading of the call), authorize (the caller's role as
 * deployed), the moto link (one connection, moto's quirks adapted), then after the write (S3
 * notifications). What it routes to is one immutable {@link Routing}, swapped whole by {@link use}.
 */
export class Gateway {
  private readonly server: GatewayServer;
  private readonly moto: MotoLink;
  private readonly authorizer: Authorizer;
  private readonly notifier: S3Notifier;
  private routing?: Routing;

  constructor(private readonly options: GatewayOptions) {
    this.moto = new MotoLink(options.motoEndpoint);
    this.authorizer = new Authorizer(this.moto, options.log);
    this.notifier = new S3Notifier(this.moto, options.log, options.faults);
    this.server = new GatewayServer(
      {
        control: async (path, request) =>
          options.control?.(
            { path, method: request.method, body: request.body, query: request.url.searchParams },
            this.routing,
          ),
        api: async (request) => (this.routing ? this.routing.api.handle(request) : NO_ROUTE),
        aws: (request, signature) => this.aws(request, signature),
      },
      options.log,
    );
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  get port(): number {
    return this.server.port;
  }

  /** The moto link, for the gateway's own components that read moto directly (log shipping). */
  get motoLink(): MotoLink {
    return this.moto;
  }

  /** Routes to a deployment from now on: one assignment, so every request sees one whole deployment. */
  use(routing: Routing): void {
    this.routing = routing;
  }

  listen(port: number): Promise<void> {
    return this.server.listen(port);
  }

  async close(): Promise<void> {
    await this.server.close();
    this.moto.close();
  }

  private async aws(request: GatewayRequest, signature: Signature): Promise<Reply> {
    const routing = this.routing;
    const region = routing?.deployed.region ?? signature.region;
    const account = routing?.deployed.accountId ?? LOCAL_ACCOUNT_ID;
    const call = classifySigned(request, signature, region, account);

    if (routing && this.options.iam !== "off") {
      const denial = await this.authorizer.authorize(call, routing);
      if (denial) {
        this.options.log(
          `IAM ${this.options.iam === "enforce" ? "denied" : "would deny"}: ${denial.logLine}`,
        );
        if (this.options.iam === "enforce") return denial.reply;
      }
    }

    const refusal = this.options.faults?.refusal(call);
    if (refusal) return refusal;
    const reply = await this.moto.call(request, signature.service);
    this.options.observe?.({ operation: call.operation, requestBody: request.body, status: reply.status });
    if (reply.status < 300) await this.afterWrite(call, request, reply, routing);
    return reply;
  }

  /**
   * Keeps the caches fresh and turns acknowledged object writes into S3 event notifications; the
   * write is answered once its events are queued.
   */
  private async afterWrite(
    call: Call,
    request: GatewayRequest,
    reply: Reply,
    routing: Routing | undefined,
  ): Promise<void> {
    const target = call.s3;
    if (!target) return;
    if (call.operation && BUCKET_CONFIG_CHANGE.test(call.operation.action)) {
      this.authorizer.forgetBucket(target.bucket);
      this.notifier.forgetBucket(target.bucket);
    }
    const { key, write } = target;
    if (key === undefined || write === undefined || !routing) return;
    await this.notifier.objectWritten(
      { target: { ...target, key, write }, request, reply, accessKeyId: call.signature.accessKeyId },
      () => this.routing ?? routing,
    );
  }
}
