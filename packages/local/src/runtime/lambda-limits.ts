/**
 * What Lambda sets for every execution environment: its V8 heap limits, the largest response it
 * returns, and the name of its log stream.
 */
import { randomBytes } from "node:crypto";
import type { LambdaError } from "./types.ts";

/**
 * The largest response a synchronous invocation returns: "6 MB", which Lambda enforces as
 * 6,291,556 bytes of the response's JSON (the figure its error names). Over it, the invocation
 * fails with `Function.ResponseSizeTooLarge`.
 */
export const MAX_RESPONSE_BYTES = 6_291_556;

/** Lambda's error for a response over {@link MAX_RESPONSE_BYTES}, as Invoke returns it. */
export const RESPONSE_TOO_LARGE: LambdaError = {
  errorType: "Function.ResponseSizeTooLarge",
  errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
  trace: [],
};

/** Whether a response's JSON is over {@link MAX_RESPONSE_BYTES}. */
export function responseTooLarge(json: string): boolean {
  // A UTF-16 unit is at most 3 bytes of UTF-8: most responses need no count.
  return json.length * 3 > MAX_RESPONSE_BYTES && Buffer.byteLength(json) > MAX_RESPONSE_BYTES;
}

/**
 * V8 heap limits for a function's memory size, as Lambda's Node.js runtime bootstrap sets them:
 * a tenth of the memory is "new space", run with `--max-semi-space-size` of half of it, and the
 * rest is `--max-old-space-size`. V8's young generation is three semi-spaces. Without this cap
 * each worker's young generation grows to V8's default (48 MB), so ten warm environments held
 * hundreds of MB more than Lambda would give them.
 */
export function heapLimits(memoryMb: number): {
  maxYoungGenerationSizeMb: number;
  maxOldGenerationSizeMb: number;
} {
  const newSpace = Math.floor(memoryMb / 10);
  const semiSpace = Math.max(1, Math.floor(newSpace / 2));
  return { maxYoungGenerationSizeMb: 3 * semiSpace, maxOldGenerationSizeMb: memoryMb - newSpace };
}

/** A log stream name as Lambda makes them: `YYYY/MM/DD/[$LATEST]<32 hex>`, one per environment. */
export function newLogStreamName(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, "/");
  return `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
}
