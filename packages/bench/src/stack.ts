import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type DevOptions, type DevStack, type ObservedCall, startDev } from "@lambdaform/local";
import { freePort } from "@lambdaform/moto";
import { type LoadResult, loadAfterWarmup } from "./load.ts";
import { type Stat, stat } from "./stats.ts";

export interface StackBench {
  readonly readyColdMs: number;
  readonly readyWarmMs: number;
  readonly hello: LoadResult;
  /** A bare node:http server sending the same response, loaded the same way: this machine's ceiling. */
  readonly baseline: LoadResult;
  readonly warmupRequests: number;
  readonly rssMb: { start: number; before: number; after: number; growth: number };
  readonly uploadToRowMs: Stat;
}

/** Starts the baseline server with a recorded response; resolves with its URL and a stop function. */
function baselineServer(response: {
  status: number;
  headers: Record<string, string>;
  body: string;
}): Promise<{ url: string; stop: () => void }> {
  const script = fileURLToPath(new URL("./baseline-server.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify(response)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", (chunk: Buffer) =>
      resolve({ url: `http://127.0.0.1:${chunk.toString().trim()}/prod/hello`, stop: () => child.kill() }),
    );
  });
}

/** Time to ready (cold and warm), GET /hello throughput and latency beside a bare server, RSS, upload-to-row. */
export async function benchStack(
  root: string,
  requests: number,
  uploads: number,
  progress: (s: string) => void,
): Promise<StackBench> {
  const dataDir = mkdtempSync(join(tmpdir(), "lf-bench-stack-"));
  const stackDir = join(root, "packages", "infra", "cdktf.out", "stacks", "lambdaform-dev");
  const port = await freePort();
  // The processor's PutItem, as moto acknowledged it: the moment the row exists. Timing by this
  // instead of polling GetItem keeps the measurement from loading moto itself.
  const rowWritten = new Map<string, () => void>();
  const options: DevOptions = {
    stage: "dev",
    stackDir,
    dataDir,
    ephemeral: false,
    port,
    iam: "enforce",
    instances: 3,
    progress: (line: string) => progress(`stack: ${line}`),
    functionLog: () => {},
    hooks: {
      schedules: false,
      // The dev stage throttles at 50 req/s: the load would measure 429s, not the function path.
      apiThrottling: false,
      observe: (call: ObservedCall) => {
        if (call.operation?.action !== "dynamodb:PutItem" || call.status !== 200) return;
        const key = JSON.parse(call.requestBody.toString("utf8"))?.Item?.file_key?.S;
        if (typeof key === "string") rowWritten.get(key)?.();
      },
    },
  };
  let dev: DevStack | undefined;
  try {
    let started = performance.now();
    dev = await startDev(options);
    const readyColdMs = performance.now() - started;
    await dev.stop();
    started = performance.now();
    dev = await startDev(options);
    const readyWarmMs = performance.now() - started;

    const url = `${dev.gateway.endpoint}/prod/hello`;
    const sample = await fetch(url);
    const response = {
      status: sample.status,
      headers: Object.fromEntries(
        [...sample.headers].filter(([name]) => !["date", "connection", "keep-alive"].includes(name)),
      ),
      body: await sample.text(),
    };
    // Warm-up: every execution environment the load scales to is started and its heap has grown
    // to its limits, so the RSS after the load shows growth, not start-up.
    const warmupRequests = Math.min(20_000, requests);
    const ownRssMb = () => process.memoryUsage().rss / 2 ** 20;
    const rssStart = ownRssMb();
    progress(
      `stack: GET /hello × ${requests} (autocannon, 50 connections) after ${warmupRequests} to warm up`,
    );
    const { load: hello, rssMb } = await loadAfterWarmup(url, warmupRequests, requests, ownRssMb);

    progress(`stack: the same load on a bare node:http server sending the same response`);
    const bare = await baselineServer(response);
    let baseline: LoadResult;
    try {
      baseline = (await loadAfterWarmup(bare.url, warmupRequests, requests)).load;
    } finally {
      bare.stop();
    }

    progress(`stack: ${uploads} uploads, upload-to-row latency`);
    const s3 = new S3Client({
      endpoint: dev.gateway.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      forcePathStyle: true,
    });
    const bucket = dev.current().deployed.buckets[0] ?? "";
    const latencies: number[] = [];
    for (let i = 0; i < uploads; i++) {
      const key = `uploads/bench-${i}.txt`;
      const written = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no row for ${key} within 10 s`)), 10_000);
        rowWritten.set(key, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const begin = performance.now();
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `upload ${i}` }));
      await written;
      latencies.push(performance.now() - begin);
      rowWritten.delete(key);
    }
    return {
      readyColdMs,
      readyWarmMs,
      hello,
      baseline,
      warmupRequests,
      rssMb: { start: rssStart, ...rssMb, growth: rssMb.after - rssMb.before },
      uploadToRowMs: stat(latencies, true),
    };
  } finally {
    await dev?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
