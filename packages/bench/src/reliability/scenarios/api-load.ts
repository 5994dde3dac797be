import { readdirSync, readFileSync } from "node:fs";
import { autocannon } from "../../load.ts";
import { Findings, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { stackNames } from "../stack-io.ts";

const DEV_NODE = /node\S* .*lambdaform\S*\.mjs dev /;

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The API under sustained load: GET /hello through pnpm dev (its stage throttling lifted with
 * --no-api-throttling: the dev stage allows 50 requests/s, and would answer the rest 429 by design),
 * from a separate autocannon process at 50 connections. Expected: no non-2xx answer, pnpm dev's RSS
 * within +50 MB of its RSS after the warm-up, and no file descriptor growth.
 */
export async function apiUnderLoad(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("API under sustained load");
  const dev = ctx.dev ?? ctx.start();
  ctx.dev = dev;
  await dev.ready();
  const { apiUrl } = stackNames(dev.printed);
  const node = dev.processes().find((p) => DEV_NODE.test(p.command));
  if (!node) throw new Error("found no node process running lambdaform dev");
  // The workers' heaps grow to their working size in the first few thousand requests.
  const warmup = 5_000;
  const requests = ctx.smoke ? 5_000 : 100_000;
  ctx.progress(`reliability: warm-up of ${warmup} GET /hello, then ${requests}`);
  const warm = await autocannon(apiUrl, warmup);
  await sleep(1_000);
  const before = { rss: rssMb(node.pid), fds: fds(node.pid) };
  const load = await autocannon(apiUrl, requests);
  await sleep(1_000);
  const after = { rss: rssMb(node.pid), fds: fds(node.pid) };
  f.add("requests (warm-up + load)", `${warm.requests} + ${load.requests}`);
  f.add("non-2xx / errors", `${warm.non2xx + load.non2xx} / ${warm.errors + load.errors}`);
  f.add("rate, p99", `${load.requestsPerSecond.toFixed(0)} req/s, ${load.latencyP99Ms} ms`);
  f.add("RSS after warm-up → after load", `${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MB`);
  f.add("file descriptors before → after", `${before.fds} → ${after.fds}`);
  f.lost = requests - load.requests + load.non2xx + load.errors;
  f.expect(load.requests === requests, `${load.requests} of ${requests} requests were answered`);
  f.expect(load.non2xx === 0 && load.errors === 0, `${load.non2xx} non-2xx answers, ${load.errors} errors`);
  f.expect(after.rss - before.rss <= 50, `RSS grew ${(after.rss - before.rss).toFixed(0)} MB (over +50 MB)`);
  f.expect(after.fds <= before.fds, `file descriptors grew from ${before.fds} to ${after.fds}`);
  return f.result();
}
