import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../../identity.ts";
import { randomToken } from "../ids.ts";

/**
 * The event as API Gateway really sends it. @types/aws-lambda types the header maps as never null,
 * but API Gateway sends `null` for a request without headers.
 */
export type ApiGatewayProxyEventV1 = Omit<APIGatewayProxyEvent, "headers" | "multiValueHeaders"> & {
  headers: APIGatewayProxyEvent["headers"] | null;
  multiValueHeaders: APIGatewayProxyEvent["multiValueHeaders"] | null;
};

type Multi = Readonly<Record<string, string | ReadonlyArray<string>>>;

export interface ApiGatewayOptions {
  readonly method?: string;
  /** The request path without the stage, e.g. `/hello`. */
  readonly path?: string;
  /** The resource template, e.g. `/items/{id}`; defaults to the path. */
  readonly resource?: string;
  /** The API Gateway resource's id (`requestContext.resourceId`); random when not given. */
  readonly resourceId?: string;
  readonly stage?: string;
  /** Header names and values; a Map keeps any name (`__proto__` too) as a plain key. */
  readonly headers?: Multi | ReadonlyMap<string, string | ReadonlyArray<string>>;
  readonly query?: Multi | ReadonlyMap<string, string | ReadonlyArray<string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly stageVariables?: Readonly<Record<string, string>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly sourceIp?: string;
  readonly apiId?: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly now?: Date;
  /** `requestContext.requestId`; new for every event when not given. */
  readonly requestId?: string;
  /** `requestContext.extendedRequestId`; new for every event when not given. */
  readonly extendedRequestId?: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's `requestTime`: `27/Nov/2026:10:15:30 +0000`. */
export function requestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * An object with no prototype: names from a request (`__proto__`, `constructor`, `toString`) are
 * plain keys in it, never Object.prototype's.
 */
function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Splits a map of single or repeated values into API Gateway's pair of maps (last value wins in the single map). */
function maps(
  input: Multi | ReadonlyMap<string, string | ReadonlyArray<string>> | undefined,
): [Record<string, string> | null, Record<string, string[]> | null] {
  const entries = input instanceof Map ? [...input] : Object.entries(input ?? {});
  if (entries.length === 0) return [null, null];
  const single = dictionary<string>();
  const multi = dictionary<string[]>();
  for (const [name, value] of entries) {
    const values = typeof value === "string" ? [value] : [...value];
    multi[name] = values;
    single[name] = values.at(-1) ?? "";
  }
  return [single, multi];
}

/** Typical headers of a request made with curl through the API's public endpoint. */
export function curlHeaders(host: string, sourceIp: string): Record<string, string> {
  return {
    accept: "*/*",
    Host: host,
    "User-Agent": "curl/8.5.0",
    "X-Amzn-Trace-Id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomToken(24, "0123456789abcdef")}`,
    "X-Forwarded-For": sourceIp,
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
  };
}

/**
 * An API Gateway REST API Lambda proxy event (payload v1) as API Gateway sends it: header, query,
 * path-parameter and stage-variable maps are `null` when empty; both single and multi-value maps
 * are present; `requestId` and `requestTimeEpoch` are new for every event; `requestContext.path` is
 * prefixed with the stage while `resource` and `resourcePath` are the template.
 */
export function apiGatewayProxyEvent(options: ApiGatewayOptions = {}): ApiGatewayProxyEventV1 {
  const method = (options.method ?? "GET").toUpperCase();
  const path = options.path ?? "/hello";
  const resource = options.resource ?? path;
  const stage = options.stage ?? "prod";
  const apiId = options.apiId ?? "a1b2c3d4e5";
  const region = options.region ?? LOCAL_REGION;
  const now = options.now ?? new Date();
  const sourceIp = options.sourceIp ?? "127.0.0.1";
  const [headers, multiValueHeaders] = maps(options.headers);
  const [queryStringParameters, multiValueQueryStringParameters] = maps(options.query);
  const userAgent =
    Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === "user-agent")?.[1] ?? null;
  const nonEmpty = (map: Readonly<Record<string, string>> | undefined) =>
    map && Object.keys(map).length > 0 ? Object.assign(dictionary<string>(), map) : null;
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: nonEmpty(options.pathParameters),
    stageVariables: nonEmpty(options.stageVariables),
    requestContext: {
      accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
      apiId,
      domainName: `${apiId}.execute-api.${region}.amazonaws.com`,
      domainPrefix: apiId,
      extendedRequestId:
        options.extendedRequestId ??
        `${randomToken(14, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}=`,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: `/${stage}${path}`,
      protocol: "HTTP/1.1",
      requestId: options.requestId ?? randomUUID(),
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: options.resourceId ?? randomToken(6, "abcdefghijklmnopqrstuvwxyz0123456789"),
      resourcePath: resource,
      stage,
    } as APIGatewayProxyEvent["requestContext"],
    body: options.body ?? null,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}
