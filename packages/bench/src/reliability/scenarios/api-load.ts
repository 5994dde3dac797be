import { readdirSync, readFileSync } from "node:fs";
import { autocannon, type LoadResult } from "../../load.ts";
import { Findings, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { stackNames } from "../stack-io.ts";

const DEV_NODE = /node\S* .*lambdaform\S*\.mjs dev /;

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The descriptor count once the stack is idle: an fd open at the instant of one reading (a snapshot
 * or journal file being written, a keep-alive socket to moto not yet closed) is not a leak, and one
 * that leaked per request never goes back. Read every 250 ms for up to 10 s, until it is back to
 * `target`; the last reading otherwise.
 */
async function idleFds(pid: number, target: number): Promise<number> {
  let n = fds(pid);
  for (let waited = 0; n > target && waited < 10_000; waited += 250) {
    await sleep(250);
    n = fds(pid);
  }
  return n;
}

/**
 * The API under sustained load: GET /hello through pnpm dev (its stage throttling lifted with
 * --no-api-throttling: the dev stage allows 50 requests/s, and would answer the rest 429 by design),
 * from a separate autocannon process at 50 connections. Expected: no non-2xx answer, pnpm dev's RSS
 * peak in the last quarter within 50 MB of the first quarter's, and no file descriptor growth once
 * the stack is idle.
 */
export async function apiUnderLoad(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("API under sustained load");
  const dev = ctx.dev ?? ctx.start();
  ctx.dev = dev;
  await dev.ready();
  const { apiUrl } = stackNames(dev.printed);
  const node = dev.processes().find((p) => DEV_NODE.test(p.command));
  if (!node) throw new Error("found no node process running lambdaform dev");
  // Long enough for the ten execution environments the load scales to, and their heaps, to reach
  // their working size (each grows up to the limits Lambda's bootstrap gives it: 30,000 left some
  // at half of it).
  const warmup = ctx.smoke ? 5_000 : 60_000;
  const requests = ctx.smoke ? 5_000 : 100_000;
  ctx.progress(`reliability: warm-up of ${warmup} GET /hello, then ${requests}`);
  const warm = await autocannon(apiUrl, warmup);
  await sleep(1_000);
  const before = { rss: rssMb(node.pid), fds: fds(node.pid) };
  // In four parts, RSS read after each: growth that levels off is the isolates' garbage awaiting
  // their next full collection; growth that keeps on is a leak.
  // RSS is read every 250 ms: one reading after each quarter lands anywhere between the heaps'
  // full collections (they swing by about 100 MB under this load), so each quarter's peak is kept.
  const parts: LoadResult[] = [];
  const rssAfterPart: number[] = [];
  const peakOfPart: number[] = [];
  const fdsAfterPart: number[] = [];
  for (let i = 0; i < 4; i++) {
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(node.pid));
    }, 250);
    parts.push(await autocannon(apiUrl, requests / 4));
    clearInterval(sampler);
    peakOfPart.push(Math.max(peak, rssMb(node.pid)));
    rssAfterPart.push(rssMb(node.pid));
    fdsAfterPart.push(fds(node.pid));
  }
  const load = {
    requests: parts.reduce((n, p) => n + p.requests, 0),
    non2xx: parts.reduce((n, p) => n + p.non2xx, 0),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    requestsPerSecond: parts.reduce((n, p) => n + p.requestsPerSecond, 0) / parts.length,
    latencyP99Ms: Math.max(...parts.map((p) => p.latencyP99Ms)),
  };
  await sleep(1_000);
  const after = { rss: rssMb(node.pid), fds: await idleFds(node.pid, before.fds) };
  f.add("requests (warm-up + load)", `${warm.requests} + ${load.requests}`);
  f.add("non-2xx / errors", `${warm.non2xx + load.non2xx} / ${warm.errors + load.errors}`);
  f.add("rate, worst p99", `${load.requestsPerSecond.toFixed(0)} req/s, ${load.latencyP99Ms} ms`);
  f.add(
    "RSS after warm-up → after each quarter",
    `${before.rss.toFixed(0)} → ${rssAfterPart.map((r) => r.toFixed(0)).join(" → ")} MB`,
  );
  f.add("RSS peak of each quarter", `${peakOfPart.map((r) => r.toFixed(0)).join(" → ")} MB`);
  f.add(
    "file descriptors before → after each quarter → idle",
    `${before.fds} → ${fdsAfterPart.join(" → ")} → ${after.fds}`,
  );
  f.lost = requests - load.requests + load.non2xx + load.errors;
  f.expect(load.requests === requests, `${load.requests} of ${requests} requests were answered`);
  f.expect(load.non2xx === 0 && load.errors === 0, `${load.non2xx} non-2xx answers, ${load.errors} errors`);
  // Over the smoke's 5,000 requests the isolates' garbage is all there is to see: RSS is shown, and
  // held only by the full run: the last quarter's peak within 50 MB of the first's (a leak of a few
  // hundred bytes a request grows it by 10 MB a quarter, and every quarter).
  const growth = (peakOfPart[3] ?? 0) - (peakOfPart[0] ?? 0);
  if (!ctx.smoke)
    f.expect(
      growth <= 50,
      `RSS's peak grew ${growth.toFixed(0)} MB from the first quarter to the last (over 50 MB)`,
    );
  f.expect(after.fds <= before.fds, `file descriptors grew from ${before.fds} to ${after.fds}`);
  return f.result();
}
