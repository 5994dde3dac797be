import { randomUUID } from "node:crypto";
import type { DeployedApi, DeployedRoute } from "../../dev/deployed.ts";
import type { Reply } from "../../http/reply.ts";
import type { LocalRuntime } from "../../runtime/local-runtime.ts";
import { apiGatewayProxyEvent } from "./event.ts";

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

/** What one deployment serves: fixed until the next deploy swaps in a new server. */
export interface ApiGatewayDeployment {
  readonly apis: ReadonlyArray<DeployedApi>;
  readonly runtime: LocalRuntime;
  readonly region: string;
  readonly accountId: string;
  /** Stage throttling (on unless a benchmark measures the function path instead of the 429s). */
  readonly throttling: boolean;
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

/** A token bucket per API stage: `rate` requests per second, bursts up to `burst`. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A path segment decoded, or as sent when its escapes are malformed (`%E0`), never an error. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchRoute(routes: ReadonlyArray<DeployedRoute>, path: string, method: string) {
  const segments = path.split("/").filter(Boolean);
  for (const route of routes) {
    const template = route.resourcePath.split("/").filter(Boolean);
    const params = Object.create(null) as Record<string, string>;
    let ok = true;
    for (let i = 0; i < template.length && ok; i++) {
      const part = template[i] ?? "";
      if (part.endsWith("+}")) {
        params[part.slice(1, -2)] = segments.slice(i).join("/");
        i = template.length;
        break;
      }
      if (i >= segments.length) ok = false;
      else if (part.startsWith("{") && part.endsWith("}"))
        params[part.slice(1, -1)] = decodeSegment(segments[i] ?? "");
      else if (part !== segments[i]) ok = false;
    }
    const greedy = template.at(-1)?.endsWith("+}") ?? false;
    if (
      ok &&
      (greedy || template.length === segments.length) &&
      (route.httpMethod === method || route.httpMethod === "ANY")
    ) {
      return { route, params };
    }
  }
  return undefined;
}

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
 * per deployment: a redeploy builds a new one.
 */
export class ApiGatewayServer {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly deployment: ApiGatewayDeployment) {}

  /** The API a request is for: by execute-api host, else the first API with a matching stage. */
  private select(request: ApiRequest) {
    const hostApi = /^([a-z0-9]+)\.execute-api\./.exec(request.host)?.[1];
    const [stage = "", ...rest] = request.url.pathname.split("/").filter(Boolean);
    const path = `/${rest.join("/")}`;
    const candidates = this.deployment.apis.filter((api) => (hostApi ? api.id === hostApi : true));
    const api = candidates.find((a) => a.stages.some((s) => s.name === stage));
    return api ? { api, stage: api.stages.find((s) => s.name === stage), path } : undefined;
  }

  async handle(request: ApiRequest): Promise<Reply> {
    const requestId = randomUUID();
    const selected = this.select(request);
    const method = request.method.toUpperCase();
    const matched = selected && matchRoute(selected.api.routes, selected.path, method);
    if (!selected?.stage || !matched)
      return json(403, { message: "Missing Authentication Token" }, requestId);
    const { api, stage, path } = selected;
    const { runtime, throttling } = this.deployment;

    if (throttling && stage.rateLimit !== undefined && stage.burstLimit !== undefined) {
      const key = `${api.id}/${stage.name}`;
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = new TokenBucket(stage.rateLimit, stage.burstLimit);
        this.buckets.set(key, bucket);
      }
      if (!bucket.take()) return json(429, { message: "Too Many Requests" }, requestId);
    }

    // Maps, not objects: a name from the request (`__proto__`, `constructor`) is only ever data.
    const headers = new Map<string, string[]>();
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i] ?? "";
      headers.set(name, [...(headers.get(name) ?? []), request.rawHeaders[i + 1] ?? ""]);
    }
    const query = new Map<string, string[]>();
    for (const [k, v] of request.url.searchParams) query.set(k, [...(query.get(k) ?? []), v]);
    const event = apiGatewayProxyEvent({
      method,
      path,
      resource: matched.route.resourcePath,
      resourceId: matched.route.resourceId,
      stage: stage.name,
      headers,
      query,
      pathParameters: matched.params,
      body: request.body.length > 0 ? request.body.toString("utf8") : null,
      sourceIp: request.sourceIp,
      apiId: api.id,
      accountId: this.deployment.accountId,
      region: this.deployment.region,
    });

    try {
      const functionRuntime = runtime.function(matched.route.functionName);
      // The integration's timeout only matters when it is shorter than the function's own: otherwise
      // the function times out first and API Gateway answers 502 for the failed invocation.
      const result =
        matched.route.timeoutMs < functionRuntime.spec.timeoutSeconds * 1000
          ? await functionRuntime.invokeWithin(event, matched.route.timeoutMs)
          : await functionRuntime.invoke(event);
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
