import { createHash, createHmac } from "node:crypto";
import { request } from "node:http";
import type { MotoClientConfig } from "../gateway/moto-link.ts";

/** An AWS JSON-protocol error as the service answers it (`__type`, `message`). */
export class AwsJsonError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type || "AwsJsonError";
  }
}

const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text).digest();
const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** Errors of a connection the server closed as the call went out: the call never reached it. */
const RETRIED = new Set(["ECONNRESET", "EPIPE"]);

/**
 * One AWS JSON-protocol call (`X-Amz-Target`, awsJson1_1) over a moto link's connection, signed
 * with SigV4 as the SDK signs it, its body the caller's JSON as it is. For the log shipper's
 * PutLogEvents: the SDK's JSON serializer, which writes a string a character at a time, cost the
 * dev stack's main thread more per API request than the request's own event did.
 */
export async function awsJsonCall(
  config: MotoClientConfig,
  service: string,
  target: string,
  body: string,
): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(config, service, target, body);
    } catch (error) {
      if (attempt >= 3 || !RETRIED.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
    }
  }
}

function send(config: MotoClientConfig, service: string, target: string, body: string): Promise<unknown> {
  const url = new URL(config.endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${config.region}/${service}/aws4_request`;
  const payload = Buffer.from(body, "utf8");
  const signedHeaders = "content-type;host;x-amz-date;x-amz-target";
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    host: url.host,
    "x-amz-date": amzDate,
    "x-amz-target": target,
  };
  const canonical = [
    "POST",
    url.pathname || "/",
    "",
    ...Object.entries(headers).map(([name, value]) => `${name}:${value}`),
    "",
    signedHeaders,
    sha256(payload),
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${config.credentials.secretAccessKey}`, day), config.region), service),
    "aws4_request",
  );
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: url.pathname || "/",
        agent: config.requestHandler.httpAgent,
        headers: {
          ...headers,
          "content-length": String(payload.length),
          authorization: `AWS4-HMAC-SHA256 Credential=${config.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
        },
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on("data", (chunk: Buffer) => parts.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8");
          let answer: Record<string, unknown> = {};
          try {
            answer = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            // Not JSON: the status says what happened.
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(answer);
          const type =
            String(answer.__type ?? "")
              .split("#")
              .at(-1) ?? "";
          reject(
            new AwsJsonError(status, type, String(answer.message ?? answer.Message ?? `HTTP ${status}`)),
          );
        });
      },
    );
    call.on("error", reject);
    call.end(payload);
  });
}
