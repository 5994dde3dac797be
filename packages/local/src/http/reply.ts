import type { IncomingMessage, ServerResponse } from "node:http";

/** An HTTP answer, as every part of the local stack produces it (gateway, API Gateway, control API). */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | string;
  /**
   * A streamed answer (the console's SSE): called with the response once its head is written, in
   * place of writing `body`; it ends the response when it is done (or the client goes).
   */
  readonly stream?: (res: ServerResponse) => void;
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

/** A body over the limit its reader was given. */
export class BodyTooLarge extends Error {
  override readonly name = "BodyTooLarge";
  constructor(readonly limit: number) {
    super(`the request body is over ${limit} bytes`);
  }
}

/**
 * The request body, up to `limit` bytes; requests that declare none (most API calls are GETs) skip
 * the stream machinery. Past the limit it rejects with {@link BodyTooLarge} at once and drops the
 * rest as it arrives, so an endless body costs no memory.
 */
export function readBody(req: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) {
    req.resume();
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks = [];
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] ?? EMPTY) : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
