import { randomBytes, randomFillSync } from "node:crypto";

let lastTick = 0n;

/**
 * A hexadecimal S3 event sequencer that only increases within this process (and, being time-based,
 * across processes on one machine), so later writes of a key always carry a larger one.
 */
export function nextSequencer(now = Date.now()): string {
  const tick = BigInt(now) * 4096n;
  lastTick = tick > lastTick ? tick : lastTick + 1n;
  return lastTick.toString(16).toUpperCase().padStart(16, "0");
}

/** An S3-style version id: 32 URL-safe characters. */
export function newVersionId(): string {
  return randomBytes(24).toString("base64url").slice(0, 32);
}

// Ids are made for every API request; one 4 KB draw from the CSPRNG serves many of them.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomByte(): number {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++] ?? 0;
}

/** Random characters from `alphabet` (API Gateway resource ids, S3 request ids). */
export function randomToken(length: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomByte() % alphabet.length];
  return out;
}
