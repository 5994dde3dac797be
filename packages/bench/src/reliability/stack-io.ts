import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type AttributeValue, DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

/** What the harness reads and writes in a running local stack, as any AWS client would. */

/** The stack's names, read from what pnpm dev prints when it is up. */
export interface StackNames {
  readonly bucket: string;
  readonly table: string;
  readonly apiUrl: string;
  readonly region: string;
}

export function stackNames(printed: string): StackNames {
  const bucket = /s3 cp \S+ s3:\/\/([^/\s]+)\//.exec(printed)?.[1];
  const table = /--table-name (\S+)/.exec(printed)?.[1];
  const apiUrl = /curl (http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(printed)?.[1];
  const region = /AWS_DEFAULT_REGION=([a-z0-9-]+)/.exec(printed)?.[1];
  if (!bucket || !table || !apiUrl || !region)
    throw new Error("pnpm dev did not print its bucket, table, API URL and region");
  return { bucket, table, apiUrl, region };
}

export interface Clients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
}

export function clients(endpoint: string, region: string): Clients {
  const config = {
    endpoint,
    region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    forcePathStyle: true,
    maxAttempts: 1,
  };
  return { s3: new S3Client(config), dynamodb: new DynamoDBClient(config) };
}

export const md5 = (body: string) => createHash("md5").update(body).digest("hex");

/** Runs `work` over `items`, at most `concurrency` at a time, in order of start. */
export async function pool<T>(
  items: ReadonlyArray<T>,
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

export async function put(c: Clients, bucket: string, key: string, body: string): Promise<void> {
  await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain" }));
}

export async function exists(c: Clients, bucket: string, key: string): Promise<boolean> {
  try {
    await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/** A FileProcessingLog row, as the processor writes it. */
export interface Row {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly sequencer: string;
  readonly status: string;
}

/** Every row whose key starts with `prefix`, by key (a paginated scan). */
export async function rows(c: Clients, table: string, prefix: string): Promise<Map<string, Row[]>> {
  const found = new Map<string, Row[]>();
  const s = (item: Record<string, AttributeValue>, name: string) => item[name]?.S ?? "";
  for await (const page of paginateScan({ client: c.dynamodb }, { TableName: table })) {
    for (const item of page.Items ?? []) {
      const key = s(item, "file_key");
      if (!key.startsWith(prefix)) continue;
      const list = found.get(key) ?? [];
      list.push({
        key,
        size: Number(item.file_size?.N ?? -1),
        etag: s(item, "etag"),
        sequencer: s(item, "sequencer"),
        status: s(item, "status"),
      });
      found.set(key, list);
    }
  }
  return found;
}

/**
 * How many times the processor wrote a row for each event (`<key> <sequencer>`), from its log lines
 * in pnpm dev's output (`recorded upload`): more than once means an event was applied twice.
 */
export function recordedWrites(logFile: string, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes('"recorded upload"')) continue;
    const json = line.slice(line.indexOf("{"));
    try {
      const entry = JSON.parse(json) as { file_key?: string; sequencer?: string };
      if (!entry.file_key?.startsWith(prefix)) continue;
      const event = `${entry.file_key} ${entry.sequencer}`;
      counts.set(event, (counts.get(event) ?? 0) + 1);
    } catch {
      // Not one of the processor's JSON lines.
    }
  }
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true; false when `timeoutMs` passed. */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}
