import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type DevStack, startDev } from "@lambdaform/local";
import { freePort } from "@lambdaform/moto";
import { type Stat, stat } from "./stats.ts";

export interface StackBench {
  readonly readyColdMs: number;
  readonly readyWarmMs: number;
  readonly hello: {
    requests: number;
    requestsPerSecond: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
    non2xx: number;
    errors: number;
  };
  readonly rssMb: { before: number; after: number; growth: number };
  readonly uploadToRowMs: Stat;
}

const require = createRequire(import.meta.url);

/** GET /hello under load from a separate autocannon process, so the gateway's RSS is its own. */
function autocannon(url: string, amount: number): Promise<Record<string, unknown>> {
  const cli = require.resolve("autocannon/autocannon.js");
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli, "--json", "--connections", "50", "--pipelining", "1", "--amount", String(amount), url],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}`)),
    );
  });
}

/** Time to ready (cold and warm), GET /hello throughput and latency, RSS growth, upload-to-row latency. */
export async function benchStack(
  root: string,
  requests: number,
  uploads: number,
  progress: (s: string) => void,
): Promise<StackBench> {
  const dataDir = mkdtempSync(join(tmpdir(), "lf-bench-stack-"));
  const stackDir = join(root, "packages", "infra", "cdktf.out", "stacks", "lambdaform-dev");
  const port = await freePort();
  const options = {
    stage: "dev",
    stackDir,
    dataDir,
    ephemeral: false,
    port,
    iam: "enforce" as const,
    instances: 3,
    progress: (line: string) => progress(`stack: ${line}`),
    functionLog: () => {},
    schedules: false,
    // The dev stage throttles at 50 req/s: the load would measure 429s, not the function path.
    apiThrottling: false,
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
    await autocannon(url, Math.min(2000, requests));
    const rssBefore = process.memoryUsage().rss;
    progress(`stack: GET /hello × ${requests} (autocannon, 50 connections)`);
    const load = await autocannon(url, requests);
    const rssAfter = process.memoryUsage().rss;
    const latency = load.latency as Record<string, number>;

    progress(`stack: ${uploads} uploads, upload-to-row latency`);
    const admin = {
      endpoint: dev.gateway.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    };
    const s3 = new S3Client({ ...admin, forcePathStyle: true });
    const dynamodb = new DynamoDBClient(admin);
    const bucket = dev.deployed.buckets[0] ?? "";
    const table = dev.deployed.tables[0] ?? "";
    const latencies: number[] = [];
    for (let i = 0; i < uploads; i++) {
      const key = `uploads/bench-${i}.txt`;
      const begin = performance.now();
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `upload ${i}` }));
      for (;;) {
        const row = await dynamodb.send(
          new GetItemCommand({ TableName: table, Key: { file_key: { S: key } } }),
        );
        if (row.Item) break;
        if (performance.now() - begin > 10_000) throw new Error(`no row for ${key} within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      latencies.push(performance.now() - begin);
    }
    return {
      readyColdMs,
      readyWarmMs,
      hello: {
        requests: Number((load.requests as Record<string, number>).total ?? 0),
        requestsPerSecond: Number((load.requests as Record<string, number>).average ?? 0),
        latencyP50Ms: Number(latency.p50 ?? 0),
        latencyP99Ms: Number(latency.p99 ?? 0),
        non2xx: Number(load.non2xx ?? 0),
        errors: Number(load.errors ?? 0),
      },
      rssMb: {
        before: rssBefore / 2 ** 20,
        after: rssAfter / 2 ** 20,
        growth: (rssAfter - rssBefore) / 2 ** 20,
      },
      uploadToRowMs: stat(latencies, true),
    };
  } finally {
    await dev?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
