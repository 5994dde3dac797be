/** Header maps as API Gateway sends them: `null` when the request has none. */
export type HeaderMap = Readonly<Record<string, string | null | undefined>> | null | undefined;

/**
 * Looks a header up by name, ignoring case (HTTP/2 clients send lowercase names).
 *
 * @example
 * getHeader({ "user-agent": "curl/8.5" }, "User-Agent"); // "curl/8.5"
 * getHeader(null, "User-Agent"); // undefined
 */
export function getHeader(headers: HeaderMap, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === "string") return value;
  }
  return undefined;
}
