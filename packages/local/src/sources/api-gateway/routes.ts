/**
 * A deployed REST API's routes compiled once (each resource template cut into segments, an event
 * template per stage, a token bucket per throttled stage) and matched against a request's path as
 * API Gateway matches them: literal segments, `{param}` and a greedy `{proxy+}`.
 */
import type { DeployedApi, DeployedRoute } from "../../dev/deployed.ts";
import type { FunctionRuntime } from "../../runtime/function-runtime.ts";
import { ProxyEventTemplate } from "./event-template.ts";
import type { ApiGatewayDeployment } from "./server.ts";

/** A token bucket per API stage: `rate` requests per second, bursts up to `burst`. */
export class TokenBucket {
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
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A stage of a deployed API, with what each of its requests shares: its token bucket. */
export interface CompiledStage {
  readonly name: string;
  readonly bucket?: TokenBucket;
}

/** A route, its resource template cut into segments once, and its event template per stage. */
export interface CompiledRoute {
  readonly route: DeployedRoute;
  readonly parts: ReadonlyArray<
    | { readonly kind: "literal"; readonly text: string }
    | { readonly kind: "param"; readonly name: string }
    | { readonly kind: "greedy"; readonly name: string }
  >;
  /** Segments in the template (a greedy parameter ends `parts` but not the template). */
  readonly length: number;
  /** Whether the template ends with a greedy parameter: then the path may have more segments. */
  readonly greedy: boolean;
  readonly templates: ReadonlyMap<string, ProxyEventTemplate>;
  /** The function it invokes, looked up on its first request. */
  fn?: FunctionRuntime;
}

export interface CompiledApi {
  readonly api: DeployedApi;
  readonly stages: ReadonlyMap<string, CompiledStage>;
  readonly routes: ReadonlyArray<CompiledRoute>;
}

export function compileRoute(
  api: DeployedApi,
  route: DeployedRoute,
  deployment: ApiGatewayDeployment,
): CompiledRoute {
  const template = route.resourcePath.split("/").filter(Boolean);
  const parts: CompiledRoute["parts"][number][] = [];
  for (const part of template) {
    if (part.endsWith("+}")) {
      // A greedy parameter takes the rest of the path: nothing after it is matched.
      parts.push({ kind: "greedy", name: part.slice(1, -2) });
      break;
    }
    if (part.startsWith("{") && part.endsWith("}")) parts.push({ kind: "param", name: part.slice(1, -1) });
    else parts.push({ kind: "literal", text: part });
  }
  const templates = new Map(
    api.stages.map((stage) => [
      stage.name,
      new ProxyEventTemplate({
        resource: route.resourcePath,
        resourceId: route.resourceId,
        stage: stage.name,
        apiId: api.id,
        accountId: deployment.accountId,
        region: deployment.region,
        stageVariables: stage.variables,
      }),
    ]),
  );
  return {
    route,
    parts,
    length: template.length,
    greedy: template.at(-1)?.endsWith("+}") ?? false,
    templates,
  };
}

/**
 * The first route (in the deployment's order) whose template and method match the path's
 * segments (the stage's segment at `from` and before left out).
 */
export function matchRoute(
  routes: ReadonlyArray<CompiledRoute>,
  segments: ReadonlyArray<string>,
  from: number,
  method: string,
) {
  const count = segments.length - from;
  for (const compiled of routes) {
    const { route, parts, greedy } = compiled;
    if (route.httpMethod !== method && route.httpMethod !== "ANY") continue;
    if (greedy ? count < parts.length - 1 : count !== compiled.length) continue;
    let params: Record<string, string> | undefined;
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const part = parts[i];
      if (!part) break;
      const segment = segments[from + i] ?? "";
      if (part.kind === "greedy") {
        params ??= Object.create(null) as Record<string, string>;
        params[part.name] = segments.slice(from + i).join("/");
      } else if (part.kind === "param") {
        params ??= Object.create(null) as Record<string, string>;
        params[part.name] = decodeSegment(segment);
      } else ok = part.text === segment;
    }
    if (ok) return { compiled, params };
  }
  return undefined;
}
