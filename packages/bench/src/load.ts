import { spawn } from "node:child_process";
import { createRequire } from "node:module";

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
}

const require = createRequire(import.meta.url);

/**
 * GET under load from a separate autocannon process (50 connections, no pipelining), so the
 * process being measured keeps its CPU and RSS to itself.
 */
export function autocannon(url: string, amount: number): Promise<LoadResult> {
  const cli = require.resolve("autocannon/autocannon.js");
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli, "--json", "--connections", "50", "--pipelining", "1", "--amount", String(amount), url],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const load = JSON.parse(out);
      resolve({
        requests: Number(load.requests?.total ?? 0),
        // Requests over the run's wall time (autocannon's own average is of 1 s samples).
        requestsPerSecond: Number(load.requests?.total ?? 0) / (Number(load.duration ?? 1) || 1),
        latencyP50Ms: Number(load.latency?.p50 ?? 0),
        latencyP99Ms: Number(load.latency?.p99 ?? 0),
        non2xx: Number(load.non2xx ?? 0),
        errors: Number(load.errors ?? 0),
      });
    });
  });
}

/**
 * A warm-up, then the measured load; `rssMb` (of whatever is being measured) is read after the
 * warm-up and after the load.
 */
export async function loadAfterWarmup(
  url: string,
  warmup: number,
  requests: number,
  rssMb: () => number = () => 0,
): Promise<{ load: LoadResult; rssMb: { before: number; after: number } }> {
  await autocannon(url, warmup);
  const before = rssMb();
  const load = await autocannon(url, requests);
  return { load, rssMb: { before, after: rssMb() } };
}
