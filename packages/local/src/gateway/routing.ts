import type { Deployed } from "../dev/deployed.ts";
import { functionKeys } from "../identity.ts";
import type { LocalRuntime } from "../runtime/local-runtime.ts";
import { ApiGatewayServer, type ApiRequestMetric } from "../sources/api-gateway/server.ts";
import type { PolicyDocument } from "./iam.ts";

/** A function calling the gateway with its own credentials, as if it had assumed its role. */
export interface Caller {
  readonly functionName: string;
  readonly roleName: string;
  readonly policies: ReadonlyArray<PolicyDocument>;
}

/**
 * What the gateway routes to, for one deployment: what Terraform deployed, the runtime running
 * those functions, the API Gateway front end for its REST APIs, and each function's credentials.
 * Immutable: a redeploy builds a new one and the gateway swaps it in with one assignment, so no
 * request ever sees half of a change.
 */
export interface Routing {
  readonly deployed: Deployed;
  readonly runtime: LocalRuntime;
  readonly api: ApiGatewayServer;
  /** Function callers by access key id. */
  readonly callers: ReadonlyMap<string, Caller>;
}

/**
 * Builds the routing of a deployment.
 *
 * @throws when two functions would get the same access key.
 */
export function buildRouting(
  deployed: Deployed,
  runtime: LocalRuntime,
  options: {
    readonly apiThrottling: boolean;
    /** Each API request answered (API Gateway's CloudWatch metrics). */
    readonly onApiRequest?: (request: ApiRequestMetric) => void;
  },
): Routing {
  const callers = new Map(
    [...functionKeys(deployed.functions)].map(([key, { name, value }]) => [
      key,
      { functionName: name, roleName: value.roleName, policies: value.policies },
    ]),
  );
  const api = new ApiGatewayServer({
    apis: deployed.apis,
    runtime,
    region: deployed.region,
    accountId: deployed.accountId,
    throttling: options.apiThrottling,
    ...(options.onApiRequest ? { onRequest: options.onApiRequest } : {}),
  });
  return Object.freeze({ deployed, runtime, api, callers });
}
