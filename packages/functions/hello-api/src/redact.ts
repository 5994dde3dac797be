/** Headers whose values are credentials: never echoed, never logged. Compared case-insensitively. */
export const SENSITIVE_HEADERS = ["authorization", "cookie", "proxy-authorization", "x-api-key"] as const;

export const REDACTED = "[REDACTED]";

const isSensitive = (name: string) => (SENSITIVE_HEADERS as readonly string[]).includes(name.toLowerCase());

function redactMap<V>(map: unknown, replacement: (value: V) => V): unknown {
  if (typeof map !== "object" || map === null) return map;
  return Object.fromEntries(
    Object.entries(map as Record<string, V>).map(([name, value]) => [
      name,
      isSensitive(name) && value != null ? replacement(value) : value,
    ]),
  );
}

/**
 * Returns a copy of an API Gateway event with credential header values replaced by `[REDACTED]`,
 * in `headers` and `multiValueHeaders`, whatever their case, and with the API key API Gateway copies
 * into `requestContext.identity.apiKey`. The input is not modified.
 */
export function redactEvent<E extends object>(event: E): E {
  const copy = structuredClone(event) as Record<string, unknown>;
  copy.headers = redactMap<string>(copy.headers, () => REDACTED);
  copy.multiValueHeaders = redactMap<string[]>(copy.multiValueHeaders, (values) =>
    values.map(() => REDACTED),
  );
  const context = copy.requestContext as { identity?: { apiKey?: unknown } } | undefined;
  if (context?.identity && typeof context.identity.apiKey === "string" && context.identity.apiKey !== "") {
    context.identity.apiKey = REDACTED;
  }
  return copy as E;
}
