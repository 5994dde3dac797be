/**
 * Polls `probe` until it returns a value other than `undefined`, and returns that value; fails
 * naming `what` when `timeoutMs` passes first. The one wait of the tests: no raw sleeps.
 *
 * @example
 * const row = await eventually("the upload's row", () => table.get(key), { timeoutMs: 10_000 });
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 15_000, everyMs = 50 }: { readonly timeoutMs?: number; readonly everyMs?: number } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
