import { randomUUID } from "node:crypto";
import {
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
  private readonly admin: S3Client;
  private readonly api: ApiGatewayServer;
  port = 0;

  constructor(private readonly options: GatewayOptions) {
    this.admin = new S3Client({
      endpoint: options.motoEndpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "lambdaform-gateway", secretAccessKey: "lambdaform-gateway" },
    });
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
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
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

    const upstream = await this.forward(facts, req);
    send(upstream);
    if (upstream.status < 300 && operation) this.afterWrite(operation, upstream, signature.accessKeyId);
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

  private forward(facts: { method: string; url: URL; body: Buffer }, req: IncomingMessage): Promise<Reply> {
    const target = new URL(this.options.motoEndpoint);
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host };
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: facts.method,
          path: `${facts.url.pathname}${facts.url.search}`,
          headers,
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
      upstream.end(facts.body);
    });
  }

  /** Keeps caches fresh and turns object writes into S3 event notifications. */
  private afterWrite(operation: Operation, upstream: Reply, accessKeyId: string): void {
    if (
      operation.s3Bucket &&
      (operation.action.endsWith("Notification") || operation.action.includes("BucketPolicy"))
    ) {
      this.notificationCache.delete(operation.s3Bucket);
      this.policyCache.delete(operation.s3Bucket);
    }
    const write = operation.s3Object?.write;
    if (!write || !operation.s3Object) return;
    const versionHeader = upstream.headers["x-amz-version-id"];
    const versionId =
      typeof versionHeader === "string" && versionHeader !== "null" ? versionHeader : undefined;
    this.notify(
      operation.s3Object.bucket,
      operation.s3Object.key,
      `ObjectCreated:${write}`,
      versionId,
      accessKeyId,
    ).catch((error: Error) =>
      this.options.log(`S3 notification for ${operation.s3Object?.key} failed: ${error.message}`),
    );
  }

  private async notify(
    bucket: string,
    key: string,
    eventName: string,
    versionId: string | undefined,
    accessKeyId: string,
  ): Promise<void> {
    if (!this.runtime || !this.deployed) return;
    const configs = (await this.notifications(bucket)).filter((c) => notificationMatches(c, eventName, key));
    if (configs.length === 0) return;
    const head = await this.admin.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
    );
    for (const config of configs) {
      const functionName = String(config.LambdaFunctionArn ?? "").split(":")[6] ?? "";
      const event = s3PutEvent({
        bucket,
        key,
        size: head.ContentLength ?? 0,
        eTag: head.ETag?.replace(/"/g, ""),
        versionId: head.VersionId && head.VersionId !== "null" ? head.VersionId : undefined,
        region: this.deployed.region,
        eventName,
        principalId: `AWS:${accessKeyId}`,
        configurationId: config.Id,
      });
      this.runtime.function(functionName).invokeAsync(event);
    }
  }

  private async notifications(bucket: string): Promise<LambdaFunctionConfiguration[]> {
    const cached = this.notificationCache.get(bucket);
    if (cached) return cached;
    const config = await this.admin.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    const list = config.LambdaFunctionConfigurations ?? [];
    this.notificationCache.set(bucket, list);
    return list;
  }

  private async bucketPolicy(bucket: string): Promise<PolicyDocument | null> {
    if (this.policyCache.has(bucket)) return this.policyCache.get(bucket) ?? null;
    let policy: PolicyDocument | null = null;
    try {
      const response = await this.admin.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      policy = response.Policy ? (JSON.parse(response.Policy) as PolicyDocument) : null;
    } catch {
      policy = null;
    }
    this.policyCache.set(bucket, policy);
    return policy;
  }
}
