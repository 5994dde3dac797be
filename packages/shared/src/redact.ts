/** Headers whose values are credentials: never echoed, never logged. Compared case-insensitively. */
export const SENSITIVE_HEADERS = [
  "authorization",
  "cookie",
  "proxy-authorization",
  "set-cookie",
  "x-api-key",
  "x-amz-security-token",
] as const;

/** Query parameters that carry credentials (a presigned URL's signature and session token). */
export const SENSITIVE_QUERY = ["x-amz-credential", "x-amz-signature", "x-amz-security-token"] as const;

export const REDACTED = "[REDACTED]";

const among = (names: readonly string[]) => (name: string) => names.includes(name.toLowerCase());

function redactMap<V>(
  map: unknown,
  sensitive: (name: string) => boolean,
  replacement: (value: V) => V,
): unknown {
  if (typeof map !== "object" || map === null) return map;
  // No prototype, as the parsed maps: a header named `__proto__` or `constructor` is an entry like any other.
  const copy: Record<string, V> = Object.create(null);
  for (const [name, value] of Object.entries(map as Record<string, V>))
    copy[name] = sensitive(name) && value != null ? replacement(value) : value;
  return copy;
}

/**
 * Returns a copy of an API Gateway event with credentials replaced by `[REDACTED]`: credential
 * headers in `headers` and `multiValueHeaders`, whatever their case; a presigned URL's
 * `X-Amz-Credential`, `X-Amz-Signature` and `X-Amz-Security-Token` query parameters; and what API
 * Gateway copies into `requestContext.identity` (`apiKey`, `accessKey`). The input is not modified.
 */
export function redactEvent<E extends object>(event: E): E {
  const copy = structuredClone(event) as Record<string, unknown>;
  const headers = among(SENSITIVE_HEADERS);
  const query = among(SENSITIVE_QUERY);
  const one = () => REDACTED;
  const each = (values: string[]) => (Array.isArray(values) ? values.map(one) : REDACTED);
  copy.headers = redactMap<string>(copy.headers, headers, one);
  copy.multiValueHeaders = redactMap<string[]>(copy.multiValueHeaders, headers, each as never);
  copy.queryStringParameters = redactMap<string>(copy.queryStringParameters, query, one);
  copy.multiValueQueryStringParameters = redactMap<string[]>(
    copy.multiValueQueryStringParameters,
    query,
    each as never,
  );
  const identity = (copy.requestContext as { identity?: Record<string, unknown> } | undefined)?.identity;
  for (const field of ["apiKey", "accessKey"])
    if (identity && typeof identity[field] === "string" && identity[field] !== "") identity[field] = REDACTED;
  return copy as E;
}
