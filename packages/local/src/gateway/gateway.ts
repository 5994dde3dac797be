import { randomUUID } from "node:crypto";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import {
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  HeadObjectCommand,
  type LambdaFunctionConfiguration,
  S3Client,
} from "@aws-sdk/client-s3";
import { s3PutEvent } from "../events/s3.ts";
import type { LocalRuntime } from "../runtime/local-runtime.ts";
import { ApiGatewayServer, type Reply } from "./api-gateway.ts";
import type { Deployed } from "./deployed.ts";
import { evaluate, type PolicyDocument } from "./iam.ts";
import { accessDenied, classify, type Operation, signatureOf } from "./operations.ts";

export type IamMode = "enforce" | "warn" | "off";

/** Credentials a function uses locally, as if it had assumed its role. */
export function functionCredentials(functionName: string): { accessKeyId: string; secretAccessKey: string } {
  const id = Buffer.from(functionName).toString("hex").toUpperCase().slice(0, 40);
  return { accessKeyId: `ASIALF${id}`, secretAccessKey: "lambdaform-local" };
}

export interface GatewayOptions {
  readonly motoEndpoint: string;
  readonly iam: IamMode;
  readonly log: (line: string) => void;
  /** Control routes under /_lambdaform/ (e.g. trigger a rule). */
  readonly control?: (path: string, body: Buffer) => Promise<Reply | undefined>;
  /** Apply API Gateway stage throttling (default); benchmarks of the function path turn it off. */
  readonly apiThrottling?: boolean;
  /** Sees every call moto answered (benchmarks time upload-to-row by the processor's PutItem). */
  readonly observe?: (call: ObservedCall) => void;
}

/** An AWS API call the gateway passed to moto, with moto's answer. */
export interface ObservedCall {
  /** Classified for calls made by functions and for S3; undefined otherwise. */
  readonly operation?: Operation;
  readonly requestBody: Buffer;
  readonly status: number;
}

/** Matches S3's literal prefix/suffix filters and event types, as S3 evaluates them. */
export function notificationMatches(
  config: LambdaFunctionConfiguration,
  eventName: string,
  key: string,
): boolean {
  const eventOk = (config.Events ?? []).some((e) => {
    const wanted = e.replace(/^s3:/, "");
    return wanted === eventName || (wanted.endsWith(":*") && eventName.startsWith(wanted.slice(0, -1)));
  });
  if (!eventOk) return false;
  for (const rule of config.Filter?.Key?.FilterRules ?? []) {
    const value = rule.Value ?? "";
    const name = String(rule.Name ?? "").toLowerCase();
    if (name === "prefix" && !key.startsWith(value)) return false;
    if (name === "suffix" && !key.endsWith(value)) return false;
  }
  return true;
}

const EMPTY = Buffer.alloc(0);

/** What an S3 event record says of the object written. */
type ObjectFacts = { size: number; eTag: string; versionId?: string };
const unquote = (eTag: string) => eTag.replace(/"/g, "");
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
  headers: IncomingMessage["headers"],
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

/** The request body; requests that declare none (most API calls are GETs) skip the stream machinery. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) {
    req.resume();
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] ?? EMPTY) : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * The one loopback port everything talks to: AWS API calls pass through to moto (IAM-checked when
 * a function makes them), successful object writes become S3 notifications, and unsigned requests
 * to `/<stage>/…` are served as API Gateway.
 */
export class Gateway {
  private server?: Server;
  private deployed?: Deployed;
  private runtime?: LocalRuntime;
  private callers = new Map<string, { functionName: string; roleName: string; policies: PolicyDocument[] }>();
  private readonly notificationCache = new Map<string, LambdaFunctionConfiguration[]>();
  private readonly policyCache = new Map<string, PolicyDocument | null>();
  private admin?: S3Client;
  private readonly api: ApiGatewayServer;
  /**
   * One connection to moto, so it handles one request at a time. Its recorder appends each request
   * to the recording without locking: concurrent requests interleaved entries and left a recording
   * that could not be replayed. One at a time, the recording is also exactly the order moto drew
   * its seeded ids in, so a replay recreates them. moto holds Python's GIL anyway.
   */
  private readonly moto = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly motoTarget: URL;
  port = 0;

  constructor(private readonly options: GatewayOptions) {
    this.motoTarget = new URL(options.motoEndpoint);
    this.api = new ApiGatewayServer(
      () => this.deployed?.apis ?? [],
      () => this.runtime,
      () => this.deployed?.region ?? "us-east-1",
      () => this.deployed?.accountId ?? "123456789012",
      options.apiThrottling ?? true,
    );
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connects the gateway to what was deployed and to the runtime that runs the functions. */
  attach(deployed: Deployed, runtime: LocalRuntime): void {
    this.deployed = deployed;
    this.runtime = runtime;
    this.callers = new Map(
      [...deployed.functions].map(([functionName, f]) => [
        functionCredentials(functionName).accessKeyId,
        { functionName, roleName: f.roleName, policies: f.policies },
      ]),
    );
  }

  /** Listens on 127.0.0.1:port; a port in use is a clear error naming the flag. */
  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((req, res) => {
        this.handle(req, res).catch((error: Error) => {
          this.options.log(`gateway error: ${error.stack ?? error.message}`);
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "lambdaform gateway error", detail: error.message }));
        });
      });
      server.keepAliveTimeout = 65_000;
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "EADDRINUSE"
            ? new Error(
                `Port ${port} on 127.0.0.1 is already in use. Stop what uses it, or choose another with --port <n>.`,
              )
            : error,
        ),
      );
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        this.port = typeof address === "object" && address ? address.port : port;
        this.server = server;
        // The gateway's own reads go through the gateway too, so they queue for moto like any call.
        this.admin = new S3Client({
          endpoint: this.endpoint,
          forcePathStyle: true,
          region: "us-east-1",
          credentials: { accessKeyId: "lambdaform-gateway", secretAccessKey: "lambdaform-gateway" },
        });
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.moto.destroy();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    const send = (reply: Reply) => {
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    };

    if (url.pathname.startsWith("/_lambdaform/") && this.options.control) {
      const reply = await this.options.control(url.pathname.slice("/_lambdaform/".length), body);
      return send(
        reply ?? {
          status: 404,
          headers: { "content-type": "application/json" },
          body: '{"message":"unknown control route"}',
        },
      );
    }
    const signature = signatureOf({ headers: req.headers, url });
    if (!signature) return send(await this.api.handle(req, url, body));

    const region = this.deployed?.region ?? signature.region;
    const account = this.deployed?.accountId ?? "123456789012";
    const facts = { method: req.method ?? "GET", url, headers: req.headers, body };
    const caller = this.callers.get(signature.accessKeyId);
    const operation = caller || signature.service === "s3" ? classify(facts, region, account) : undefined;

    if (caller && this.options.iam !== "off") {
      const denial = await this.authorize(caller, operation, signature.service);
      if (denial) {
        this.options.log(
          `IAM ${this.options.iam === "enforce" ? "denied" : "would deny"}: ${denial.logLine}`,
        );
        if (this.options.iam === "enforce") return send(denial.reply);
      }
    }

    const upstream = await this.callMoto(facts, req, signature.service);
    send(upstream);
    this.options.observe?.({ operation, requestBody: body, status: upstream.status });
    if (upstream.status < 300 && operation)
      this.afterWrite(operation, upstream, signature.accessKeyId, facts);
  }

  private async authorize(
    caller: { functionName: string; roleName: string; policies: PolicyDocument[] },
    operation: Operation | undefined,
    service: string,
  ): Promise<{ reply: Reply; logLine: string } | undefined> {
    const principal = `arn:aws:sts::${this.deployed?.accountId ?? "123456789012"}:assumed-role/${caller.roleName}/${caller.functionName}`;
    const requestId = randomUUID();
    if (!operation) {
      const unknown = { service, action: `${service}:(unrecognised operation)`, resource: "*" };
      return {
        reply: accessDenied(
          unknown,
          principal,
          "the local gateway does not recognise this operation",
          requestId,
        ),
        logLine: `${caller.functionName} called an operation of ${service} the gateway does not recognise`,
      };
    }
    const resourcePolicy =
      operation.s3Object || operation.s3Bucket
        ? await this.bucketPolicy(operation.s3Object?.bucket ?? operation.s3Bucket ?? "")
        : undefined;
    const decision = evaluate(operation, caller.policies, resourcePolicy ?? undefined);
    if (decision.allowed) return undefined;
    const why =
      decision.reason === "explicit-deny"
        ? `an explicit deny (${decision.statement ?? "no Sid"}) applies`
        : `no identity-based policy allows the ${operation.action} action`;
    return {
      reply: accessDenied(operation, principal, why, requestId),
      logLine: `${caller.functionName} (role ${caller.roleName}) is missing ${operation.action} on ${operation.resource}: ${why}`,
    };
  }

  /**
   * Passes a call to moto, adapted where moto would behave unlike AWS here. A bucket's Lambda
   * targets are stored unresolvable and read back as written (see {@link hideLambdaTargets}). An
   * SQS long poll (ReceiveMessage with WaitTimeSeconds) is waited out here, by short polls, rather
   * than in moto: moto gets one request at a time, and a 20 s wait there would hold up every other
   * call, the functions' included.
   */
  private async callMoto(
    facts: { method: string; url: URL; body: Buffer },
    req: IncomingMessage,
    service: string,
  ): Promise<Reply> {
    if (service === "s3" && facts.url.searchParams.has("notification")) {
      if (facts.method === "PUT") return this.forward(facts, req, hideLambdaTargets(facts.body));
      if (facts.method === "GET") return restoreLambdaTargets(await this.forward(facts, req));
    }
    const poll = sqsLongPoll(req.headers, facts.body);
    if (!poll) return this.forward(facts, req);
    const deadline = performance.now() + poll.waitSeconds * 1000;
    for (;;) {
      const reply = await this.forward(facts, req, poll.shortPoll);
      if (reply.status >= 300 || poll.hasMessages(reply) || performance.now() >= deadline) return reply;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(SQS_POLL_MS, deadline - performance.now())),
      );
    }
  }

  /** Sends a call to moto over the gateway's one connection; `body` replaces the client's when given. */
  private forward(
    facts: { method: string; url: URL; body: Buffer },
    req: IncomingMessage,
    body = facts.body,
  ): Promise<Reply> {
    const target = this.motoTarget;
    return new Promise((resolve, reject) => {
      const headers: IncomingMessage["headers"] = { ...req.headers, host: target.host };
      // A body callMoto rewrote (a long poll made short, a notification target) has its own length,
      // and the client's checksum of it no longer holds.
      if (body !== facts.body) {
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
          method: facts.method,
          path: `${facts.url.pathname}${facts.url.search}`,
          headers,
          agent: this.moto,
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

  /** Keeps caches fresh and turns object writes into S3 event notifications. */
  private afterWrite(
    operation: Operation,
    upstream: Reply,
    accessKeyId: string,
    request: { headers: IncomingMessage["headers"]; body: Buffer },
  ): void {
    // Only a change of a bucket's notification configuration or policy makes the cached copy stale
    // (the gateway's own reads of them pass through here too).
    const change = /^s3:(Put|Delete)/.test(operation.action);
    if (
      change &&
      operation.s3Bucket &&
      (operation.action.endsWith("Notification") || operation.action.includes("BucketPolicy"))
    ) {
      this.notificationCache.delete(operation.s3Bucket);
      this.policyCache.delete(operation.s3Bucket);
    }
    const write = operation.s3Object?.write;
    if (!write || !operation.s3Object) return;
    const header = (name: string) => {
      const value = upstream.headers[name];
      return typeof value === "string" && value !== "null" ? value : undefined;
    };
    const { bucket, key } = operation.s3Object;
    // A PutObject answer and its request say all the event needs (aws-chunked uploads declare
    // their decoded length); copies and multipart completions are looked up with HeadObject.
    const declared = request.headers["x-amz-decoded-content-length"];
    const chunked = String(request.headers["content-encoding"] ?? "").includes("aws-chunked");
    const size = typeof declared === "string" ? Number(declared) : chunked ? undefined : request.body.length;
    const eTag = header("etag");
    const versionId = header("x-amz-version-id");
    const describe =
      write === "Put" && size !== undefined && eTag
        ? async (): Promise<ObjectFacts> => ({ size, eTag: unquote(eTag), versionId })
        : async (): Promise<ObjectFacts> => {
            const head = await this.s3().send(
              new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
            );
            return {
              size: head.ContentLength ?? 0,
              eTag: unquote(head.ETag ?? ""),
              versionId: head.VersionId && head.VersionId !== "null" ? head.VersionId : undefined,
            };
          };
    this.notify(bucket, key, `ObjectCreated:${write}`, accessKeyId, describe).catch((error: Error) =>
      this.options.log(`S3 notification for ${key} failed: ${error.message}`),
    );
  }

  /** Invokes the functions a write's notification configuration names; `describe` is called only then. */
  private async notify(
    bucket: string,
    key: string,
    eventName: string,
    accessKeyId: string,
    describe: () => Promise<ObjectFacts>,
  ): Promise<void> {
    if (!this.runtime || !this.deployed) return;
    const configs = (await this.notifications(bucket)).filter((c) => notificationMatches(c, eventName, key));
    if (configs.length === 0) return;
    const object = await describe();
    for (const config of configs) {
      const functionName = String(config.LambdaFunctionArn ?? "").split(":")[6] ?? "";
      const event = s3PutEvent({
        bucket,
        key,
        size: object.size,
        eTag: object.eTag,
        versionId: object.versionId,
        region: this.deployed.region,
        eventName,
        principalId: `AWS:${accessKeyId}`,
        configurationId: config.Id,
      });
      this.runtime.function(functionName).invokeAsync(event);
    }
  }

  private s3(): S3Client {
    if (!this.admin) throw new Error("the gateway is not listening yet");
    return this.admin;
  }

  private async notifications(bucket: string): Promise<LambdaFunctionConfiguration[]> {
    const cached = this.notificationCache.get(bucket);
    if (cached) return cached;
    const config = await this.s3().send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    const list = config.LambdaFunctionConfigurations ?? [];
    this.notificationCache.set(bucket, list);
    return list;
  }

  private async bucketPolicy(bucket: string): Promise<PolicyDocument | null> {
    if (this.policyCache.has(bucket)) return this.policyCache.get(bucket) ?? null;
    let policy: PolicyDocument | null = null;
    try {
      const response = await this.s3().send(new GetBucketPolicyCommand({ Bucket: bucket }));
      policy = response.Policy ? (JSON.parse(response.Policy) as PolicyDocument) : null;
    } catch {
      policy = null;
    }
    this.policyCache.set(bucket, policy);
    return policy;
  }
}
