import type { IncomingMessage } from "node:http";

/** An HTTP answer, as every part of the local stack produces it (gateway, API Gateway, control API). */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | string;
}

/** A JSON answer. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

const EMPTY = Buffer.alloc(0);

/** The request body; requests that declare none (most API calls are GETs) skip the stream machinery. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) {
    req.resume();
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] ?? EMPTY) : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
