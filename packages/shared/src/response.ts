import type { APIGatewayProxyResult } from "aws-lambda";

/** Options every proxy response carries. */
export interface ResponseOptions {
  /** Value of `Access-Control-Allow-Origin`, from the function's configuration. */
  readonly corsOrigin: string;
  /** Extra headers, e.g. `Allow` on a 405. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Builds an API Gateway proxy response whose body is always a JSON string.
 *
 * @example
 * jsonResponse(200, { ok: true }, { corsOrigin: "*" });
 * // { statusCode: 200, headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" }, body: '{"ok":true}' }
 */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  options: ResponseOptions,
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": options.corsOrigin,
      ...options.headers,
    },
    body: JSON.stringify(body ?? null),
  };
}

/** Builds a JSON error response `{ "error": message, ...extra }`. */
export function errorResponse(
  statusCode: number,
  message: string,
  options: ResponseOptions & { readonly extra?: Readonly<Record<string, unknown>> },
): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error: message, ...options.extra }, options);
}
