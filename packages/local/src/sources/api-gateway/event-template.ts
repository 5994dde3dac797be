import { randomToken } from "../ids.ts";
import { requestTime } from "./event.ts";

/** What one route of one stage of a deployed API puts in every event: fixed until the next deploy. */
export interface RouteTemplate {
  /** The resource template, e.g. `/items/{id}`. */
  readonly resource: string;
  readonly resourceId: string;
  readonly stage: string;
  readonly apiId: string;
  readonly accountId: string;
  readonly region: string;
  readonly stageVariables?: Readonly<Record<string, string>>;
}

/** What changes from one request to the next. */
export interface TemplateRequest {
  readonly method: string;
  /** The request path without the stage, e.g. `/items/42`. */
  readonly path: string;
  /** Header names and values in the order received (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: ReadonlyArray<string>;
  /** The query string; undefined or empty when there is none. */
  readonly query?: URLSearchParams;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly extendedRequestId?: string;
  /** Epoch milliseconds. */
  readonly now: number;
}

const q = JSON.stringify;
const EXTENDED_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** API Gateway's `requestTime`, formatted once a second. */
let timeSecond = -1;
let timeText = "";
function requestTimeOf(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== timeSecond) {
    timeSecond = second;
    timeText = requestTime(new Date(now));
  }
  return timeText;
}

/**
 * The JSON of a pair of API Gateway maps (single value, last one wins; and every value) from
 * names and values in the order received: `[single, multi]`, both `null` when there are none.
 * Names are plain JSON keys: `__proto__` or `constructor` are only ever data.
 */
function mapsJson(pairs: ReadonlyArray<string>): [string, string] {
  if (pairs.length === 0) return ["null", "null"];
  let repeated = false;
  if (pairs.length > 2) {
    const seen = new Set<string>();
    for (let i = 0; i < pairs.length && !repeated; i += 2) {
      const name = pairs[i] ?? "";
      repeated = seen.has(name);
      seen.add(name);
    }
  }
  let single = "{";
  let multi = "{";
  if (!repeated) {
    for (let i = 0; i < pairs.length; i += 2) {
      const name = q(pairs[i] ?? "");
      const value = q(pairs[i + 1] ?? "");
      const comma = i === 0 ? "" : ",";
      single += `${comma}${name}:${value}`;
      multi += `${comma}${name}:[${value}]`;
    }
    return [`${single}}`, `${multi}}`];
  }
  // A name given more than once: one key, at its first place, with all its values.
  const byName = new Map<string, string[]>();
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] ?? "";
    const values = byName.get(name);
    const value = q(pairs[i + 1] ?? "");
    if (values) values.push(value);
    else byName.set(name, [value]);
  }
  let comma = "";
  for (const [name, values] of byName) {
    const key = q(name);
    single += `${comma}${key}:${values.at(-1)}`;
    multi += `${comma}${key}:[${values.join(",")}]`;
    comma = ",";
  }
  return [`${single}}`, `${multi}}`];
}

/** The query string's names and values in order, as URLSearchParams decodes them. */
function queryPairs(query: URLSearchParams | undefined): string[] {
  const pairs: string[] = [];
  if (query) for (const [name, value] of query) pairs.push(name, value);
  return pairs;
}

/** The value of the first header named User-Agent in any case (its last value), or null. */
function userAgentOf(rawHeaders: ReadonlyArray<string>): string | null {
  let name: string | undefined;
  let value: string | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i] ?? "";
    if (name === undefined) {
      if (header.toLowerCase() === "user-agent") {
        name = header;
        value = rawHeaders[i + 1] ?? "";
      }
    } else if (header === name) value = rawHeaders[i + 1] ?? "";
  }
  return value;
}

function dictionaryJson(map: Readonly<Record<string, string>> | undefined): string {
  if (!map) return "null";
  const keys = Object.keys(map);
  return keys.length === 0 ? "null" : q(Object.assign(Object.create(null), map));
}

/**
 * The v1 proxy event of one route, written as JSON from parts made once per deployment: the same
 * event {@link apiGatewayProxyEvent} builds (same keys, same order, same values), without building
 * the object and serializing it again for every request. What crosses into the execution
 * environment is JSON anyway.
 */
export class ProxyEventTemplate {
  private readonly resourcePart: string;
  private readonly stageVariablesPart: string;
  private readonly contextPart: string;
  private readonly stagePath: string;
  private readonly tail: string;

  constructor(fixed: RouteTemplate) {
    const { apiId, region, stage, resource } = fixed;
    this.resourcePart = `{"resource":${q(resource)},"path":`;
    this.stageVariablesPart = `,"stageVariables":${dictionaryJson(fixed.stageVariables)},"requestContext":{"accountId":${q(fixed.accountId)},"apiId":${q(apiId)},"domainName":${q(`${apiId}.execute-api.${region}.amazonaws.com`)},"domainPrefix":${q(apiId)},"extendedRequestId":`;
    this.contextPart =
      ',"identity":{"accessKey":null,"accountId":null,"apiKey":null,"apiKeyId":null,"caller":null,"clientCert":null,"cognitoAuthenticationProvider":null,"cognitoAuthenticationType":null,"cognitoIdentityId":null,"cognitoIdentityPoolId":null,"principalOrgId":null,"sourceIp":';
    this.stagePath = `/${stage}`;
    this.tail = `,"resourceId":${q(fixed.resourceId)},"resourcePath":${q(resource)},"stage":${q(stage)}},"body":`;
  }

  /** The event's JSON for one request. */
  json(request: TemplateRequest): string {
    const method = q(request.method);
    const [headers, multiValueHeaders] = mapsJson(request.rawHeaders);
    const [query, multiValueQuery] =
      request.query && request.query.size > 0 ? mapsJson(queryPairs(request.query)) : ["null", "null"];
    const extendedRequestId = request.extendedRequestId ?? `${randomToken(14, EXTENDED_ID_ALPHABET)}=`;
    return (
      `${this.resourcePart}${q(request.path)},"httpMethod":${method},"headers":${headers},"multiValueHeaders":${multiValueHeaders}` +
      `,"queryStringParameters":${query},"multiValueQueryStringParameters":${multiValueQuery},"pathParameters":${dictionaryJson(request.pathParameters)}` +
      `${this.stageVariablesPart}${q(extendedRequestId)},"httpMethod":${method}${this.contextPart}${q(request.sourceIp)},"user":null,"userAgent":${q(userAgentOf(request.rawHeaders))},"userArn":null}` +
      `,"path":${q(this.stagePath + request.path)},"protocol":"HTTP/1.1","requestId":${q(request.requestId)},"requestTime":${q(requestTimeOf(request.now))},"requestTimeEpoch":${request.now}` +
      `${this.tail}${q(request.body)},"isBase64Encoded":false}`
    );
  }
}
