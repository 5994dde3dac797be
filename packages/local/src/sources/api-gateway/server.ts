import { randomUUID } from "node:crypto";
import type { DeployedApi } from "../../dev/deployed.ts";
import type { Reply } from "../../http/reply.ts";
import { SerializedEvent } from "../../runtime/function-runtime.ts";
import type { LocalRuntime } from "../../runtime/local-runtime.ts";
import type { ProxyEventTemplate } from "./event-template.ts";
import { type CompiledApi, compileRoute, matchRoute, TokenBucket } from "./routes.ts";

/** A request as API Gateway's front end reads it: plain data, so it needs no socket to test. */
export interface ApiRequest {
  readonly method: string;
  /** Path and query string. */
  readonly url: URL;
  /** The Host header (the `<api-id>.execute-api.localhost` form selects the API). */
  readonly host: string;
  /** Header names and values in the order received, as `IncomingMessage.rawHeaders` holds them. */
  readonly rawHeaders: ReadonlyArray<string>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** One API Gateway request as CloudWatch hears of it (namespace `AWS/ApiGateway`). */
export interface ApiRequestMetric {
  readonly apiName: string;
  readonly stage: string;
  readonly status: number;
  /** From the request's arrival to its answer. */
  readonly latencyMs: number;
  /** The backend's share (the Lambda invocation); absent when the request never reached it. */
  readonly integrationLatencyMs?: number;
  readonly timestamp: Date;
}

/** What one deployment serves: fixed until the next deploy swaps in a new server. */
export interface ApiGatewayDeployment {
  readonly apis: ReadonlyArray<DeployedApi>;
  readonly runtime: LocalRuntime;
  readonly region: string;
  readonly accountId: string;
  /** Stage throttling (on unless a benchmark measures the function path instead of the 429s). */
  readonly throttling: boolean;
  /** Each request to a deployed stage, once answered (API Gateway's CloudWatch metrics). */
  readonly onRequest?: (request: ApiRequestMetric) => void;
}

/** Where a request went, for its metrics: filled in as {@link ApiGatewayServer.answer} learns it. */
interface RequestTiming {
  apiName?: string;
  stage?: string;
  integrationMs?: number;
}

const json = (status: number, body: unknown, requestId: string): Reply => ({
  status,
  headers: {
    "content-type": "application/json",
    "x-amzn-RequestId": requestId,
    ...(status === 403 ? { "x-amzn-ErrorType": "MissingAuthenticationTokenException" } : {}),
  },
  body: JSON.stringify(body),
});

function validProxyResponse(payload: unknown): payload is {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body?: string;
  isBase64Encoded?: boolean;
} {
  if (typeof payload !== "object" || payload === null) return false;
  const p = payload as Record<string, unknown>;
  if (!Number.isInteger(p.statusCode)) return false;
  if (p.body !== undefined && p.body !== null && typeof p.body !== "string") return false;
  if (
    p.headers !== undefined &&
    p.headers !== null &&
    (typeof p.headers !== "object" ||
      Object.values(p.headers).some(
        (v) => typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean",
      ))
  )
    return false;
  return true;
}

/**
 * Serves the deployed REST APIs as API Gateway does: `/<stage>/<path>` (or the execute-api host
 * form), a faithful v1 proxy event, and API Gateway's own answers for what goes wrong. One server
 * per deployment: a redeploy builds a new one, so everything a deployment fixes (its routes cut
 * into segments, its stages, each route's event template) is made once, here.
 */
export class ApiGatewayServer {
  private readonly apis: ReadonlyArray<CompiledApi>;
  private readonly byId = new Map<string, CompiledApi>();
  /** The first API with a stage of each name: where a request without an execute-api host goes. */
  private readonly byStage = new Map<string, CompiledApi>();
  /** The API id an execute-api Host header names (`<id>.execute-api.localhost:<port>`), by header. */
  private readonly hostApis = new Map<string, string | undefined>();

  constructor(private readonly deployment: ApiGatewayDeployment) {
    this.apis = deployment.apis.map((api) => ({
      api,
      stages: new Map(
        api.stages.map((stage) => [
          stage.name,
          {
            name: stage.name,
            bucket:
              deployment.throttling && stage.rateLimit !== undefined && stage.burstLimit !== undefined
                ? new TokenBucket(stage.rateLimit, stage.burstLimit)
                : undefined,
          },
        ]),
      ),
      routes: api.routes.map((route) => compileRoute(api, route, deployment)),
    }));
    for (const compiled of this.apis) {
      if (!this.byId.has(compiled.api.id)) this.byId.set(compiled.api.id, compiled);
      for (const stage of compiled.stages.keys())
        if (!this.byStage.has(stage)) this.byStage.set(stage, compiled);
    }
  }

  private hostApi(host: string): string | undefined {
    if (!host.includes(".execute-api.")) return undefined;
    let id = this.hostApis.get(host);
    if (id === undefined && !this.hostApis.has(host)) {
      id = /^([a-z0-9]+)\.execute-api\./.exec(host)?.[1];
      if (this.hostApis.size >= 256) this.hostApis.clear();
      this.hostApis.set(host, id);
    }
    return id;
  }

  /** The API and stage a request is for: by execute-api host, else the first API with that stage. */
  private select(request: ApiRequest, segments: ReadonlyArray<string>) {
    const stageName = segments[0] ?? "";
    const hostApi = this.hostApi(request.host);
    const api = hostApi === undefined ? this.byStage.get(stageName) : this.byId.get(hostApi);
    const stage = api?.stages.get(stageName);
    return api && stage ? { api, stage } : undefined;
  }

  async handle(request: ApiRequest): Promise<Reply> {
    const started = performance.now();
    // One id for the request: the x-amzn-RequestId header and the event's requestContext.requestId.
    const requestId = randomUUID();
    const timing: RequestTiming = {};
    const reply = await this.answer(request, requestId, timing);
    const onRequest = this.deployment.onRequest;
    if (onRequest && timing.apiName !== undefined && timing.stage !== undefined)
      try {
        onRequest({
          apiName: timing.apiName,
          stage: timing.stage,
          status: reply.status,
          latencyMs: performance.now() - started,
          ...(timing.integrationMs === undefined ? {} : { integrationLatencyMs: timing.integrationMs }),
          timestamp: new Date(),
        });
      } catch {
        // A metrics sink that throws must not change the answer.
      }
    return reply;
  }

  private async answer(request: ApiRequest, requestId: string, timing: RequestTiming): Promise<Reply> {
    const segments = request.url.pathname.split("/").filter(Boolean);
    const selected = this.select(request, segments);
    const method = request.method.toUpperCase();
    const matched = selected && matchRoute(selected.api.routes, segments, 1, method);
    if (selected) {
      timing.apiName = selected.api.api.name;
      timing.stage = selected.stage.name;
    }
    if (!selected || !matched) return json(403, { message: "Missing Authentication Token" }, requestId);
    const { stage } = selected;
    const { compiled, params } = matched;
    const route = compiled.route;

    if (stage.bucket && !stage.bucket.take()) return json(429, { message: "Too Many Requests" }, requestId);

    const search = request.url.search;
    const event = new SerializedEvent(
      (compiled.templates.get(stage.name) as ProxyEventTemplate).json({
        method,
        path: segments.length > 1 ? `/${segments.slice(1).join("/")}` : "/",
        rawHeaders: request.rawHeaders,
        query: search.length > 1 ? request.url.searchParams : undefined,
        pathParameters: params,
        body: request.body.length > 0 ? request.body.toString("utf8") : null,
        sourceIp: request.sourceIp,
        requestId,
        now: Date.now(),
      }),
    );

    try {
      compiled.fn ??= this.deployment.runtime.function(route.functionName);
      const functionRuntime = compiled.fn;
      // The integration's timeout only matters when it is shorter than the function's own: otherwise
      // the function times out first and API Gateway answers 502 for the failed invocation.
      const invoked = performance.now();
      const result =
        route.timeoutMs < functionRuntime.spec.timeoutSeconds * 1000
          ? await functionRuntime.invokeWithin(event, route.timeoutMs)
          : await functionRuntime.invoke(event);
      timing.integrationMs = performance.now() - invoked;
      if (result === "timeout") return json(504, { message: "Endpoint request timed out" }, requestId);
      if (result.functionError || !validProxyResponse(result.payload)) {
        return json(502, { message: "Internal server error" }, requestId);
      }
      const payload = result.payload;
      const out: Record<string, string | string[]> = { "x-amzn-RequestId": requestId };
      for (const [k, v] of Object.entries(payload.headers ?? {})) out[k] = String(v);
      for (const [k, v] of Object.entries(payload.multiValueHeaders ?? {})) out[k] = v.map(String);
      const raw = payload.body ?? "";
      return {
        status: payload.statusCode,
        headers: out,
        body: payload.isBase64Encoded ? Buffer.from(raw, "base64") : raw,
      };
    } catch (error) {
      if ((error as Error).name === "TooManyRequestsException")
        return json(429, { message: "Too Many Requests" }, requestId);
      return json(500, { message: "Internal server error" }, requestId);
    }
  }
}
