/** What a function returns to a warm-up ping, as in the seed's optimised function. */
export const WARMUP_RESPONSE = { statusCode: 200, body: "Warm-up successful" } as const;

/**
 * True for an EventBridge "Scheduled Event" warm-up ping, which a function that is not itself
 * scheduled should answer at once with {@link WARMUP_RESPONSE}.
 */
export function isWarmupEvent(event: unknown): boolean {
  if (typeof event !== "object" || event === null) return false;
  const candidate = event as Record<string, unknown>;
  return candidate.source === "aws.events" && candidate["detail-type"] === "Scheduled Event";
}
