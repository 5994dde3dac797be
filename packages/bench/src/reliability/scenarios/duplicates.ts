import { Findings, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { clients, eventually, md5, pool, put, recordedWrites, rows, stackNames } from "../stack-io.ts";

/**
 * Load with duplicates and disorder: uploads at concurrency 50, every S3 event delivered twice, a
 * tenth of the keys overwritten and their events delivered newest first (the S3 delivery fault of
 * `pnpm dev --faults`). Expected: one row per key with the newest sequencer and size; none
 * regressed, none missing, no event applied twice.
 */
export async function duplicatesAndDisorder(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("load with duplicates and disorder");
  const dev = ctx.dev ?? ctx.start();
  ctx.dev = dev;
  await dev.ready();
  const names = stackNames(dev.printed);
  const c = clients(dev.control.endpoint, names.region);
  const uploads = ctx.smoke ? 100 : 1_000;
  const prefix = `uploads/dup-${Date.now()}-`;
  const keys = Array.from({ length: uploads }, (_, i) => `${prefix}${String(i).padStart(4, "0")}.txt`);
  const overwritten = new Set(keys.filter((_, i) => i % 10 === 0));
  await dev.control.faults({ s3Delivery: { copies: 2, holdMs: 300 } });
  // What each key holds last: its size and MD5 (the row's file_size and etag must match).
  const last = new Map<string, { size: number; etag: string }>();
  const started = performance.now();
  let acknowledged = 0;
  let refused = 0;
  ctx.progress(`reliability: ${uploads} uploads at concurrency 50, each event delivered twice`);
  await pool(keys, 50, async (key, i) => {
    const bodies = [`first version of ${key} ${"x".repeat(i % 37)}`];
    if (overwritten.has(key)) bodies.push(`second, longer version of ${key} ${"y".repeat(40 + (i % 53))}`);
    for (const body of bodies) {
      try {
        await put(c, names.bucket, key, body);
        acknowledged += 1;
        last.set(key, { size: Buffer.byteLength(body), etag: md5(body) });
      } catch {
        refused += 1;
      }
    }
  });
  const uploadSeconds = (performance.now() - started) / 1000;
  const events = uploads + overwritten.size;
  // Every event is delivered (twice) and every invocation has ended.
  const settled = await eventually(async () => {
    const { counters } = await dev.control.faults();
    const health = (await (await fetch(`${dev.control.endpoint}/_lambdaform/health`)).json()) as {
      queued?: number;
    };
    return counters.s3Deliveries >= 2 * events && health.queued === 0;
  }, 120_000);
  const status = await dev.control.faults();
  await dev.control.faults({});
  f.expect(settled, "the events did not all end within 120 s");
  const found = await rows(c, names.table, prefix);
  const writes = recordedWrites(ctx.logFile, prefix);
  let missing = 0;
  let stale = 0;
  let extraRows = 0;
  let applied = 0;
  for (const key of keys) {
    const list = found.get(key) ?? [];
    const want = last.get(key);
    if (list.length === 0 || !want) {
      missing += 1;
      continue;
    }
    extraRows += list.length - 1;
    const row = list[0];
    const newest = status.newestSequencers[`${names.bucket}/${key}`];
    if (row?.size !== want.size || row.etag !== want.etag || row.sequencer !== newest) stale += 1;
  }
  // Each event is written at most once: its copy finds a row of the same event. (The older event of
  // an overwritten key may still be written first when its delivery wins the race; never after.)
  for (const count of writes.values()) applied += Math.max(0, count - 1);
  f.lost = missing + refused;
  f.duplicated = extraRows + applied;
  f.regressed = stale;
  f.add("uploads acknowledged", `${acknowledged} (${overwritten.size} keys overwritten)`);
  f.add("upload rate", `${(acknowledged / uploadSeconds).toFixed(0)}/s`);
  f.add("S3 events → deliveries", `${status.counters.s3Events} → ${status.counters.s3Deliveries}`);
  f.add("rows expected / found", `${uploads} / ${[...found.values()].reduce((n, l) => n + l.length, 0)}`);
  f.add("writes applied twice", applied);
  f.add("rows not at the newest event", stale);
  f.expect(status.counters.s3Events === events, `${status.counters.s3Events} S3 events for ${events} writes`);
  f.expect(missing === 0, `${missing} keys have no row`);
  f.expect(stale === 0, `${stale} rows are not at their key's newest sequencer and size`);
  f.expect(f.duplicated === 0, `${f.duplicated} duplicate rows or writes`);
  f.expect(refused === 0, `${refused} uploads were refused`);
  return f.result();
}
