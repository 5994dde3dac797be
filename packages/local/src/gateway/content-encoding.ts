import type { IncomingHttpHeaders } from "node:http";
import { gunzipSync } from "node:zlib";
import { errorShapeOf, refuse } from "./aws-error.ts";

/**
 * An AWS call's body as the service reads it. SDKs gzip large request bodies of the operations
 * that allow it (CloudWatch's PutMetricData above 10 KiB: `Content-Encoding: gzip`), and AWS
 * inflates them. moto 5.2.1 inflates such a body twice (once in its server, once in its response
 * class) and answers the second with an HTML 500, so the gateway inflates it once, here, before
 * reading the call: what it authorizes and what moto runs are the plain body, without the header.
 * S3 is left alone: there `Content-Encoding` is the object's own metadata, stored as sent.
 *
 * @throws {Refused} a 400 naming `Content-Encoding` when the body is not gzip, or inflates past
 * `limit` bytes (the gateway's cap for the call).
 */
export function decodedContent(
  service: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  limit: number,
): { headers: IncomingHttpHeaders; body: Buffer } {
  const encoding = String(headers["content-encoding"] ?? "")
    .trim()
    .toLowerCase();
  if (service === "s3" || encoding === "" || encoding === "identity") return { headers, body };
  const shape = errorShapeOf(service);
  if (encoding !== "gzip")
    refuse(
      shape,
      "InvalidParameterValue",
      `Content-Encoding ${encoding} is not supported: send gzip or none`,
    );
  let plain: Buffer;
  try {
    plain = gunzipSync(body, { maxOutputLength: limit });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    refuse(
      shape,
      code === "ERR_BUFFER_TOO_LARGE" ? "RequestEntityTooLarge" : "InvalidParameterValue",
      code === "ERR_BUFFER_TOO_LARGE"
        ? `the request body inflates past ${limit} bytes (Content-Encoding: gzip)`
        : `the request body is not the gzip data its Content-Encoding says: ${(error as Error).message}`,
      code === "ERR_BUFFER_TOO_LARGE" ? 413 : 400,
    );
  }
  const { "content-encoding": _encoding, ...rest } = headers;
  return { headers: { ...rest, "content-length": String(plain.length) }, body: plain };
}
