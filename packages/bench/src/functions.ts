import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { generateEvent, LOCAL_ACCOUNT_ID } from "@lambdaform/local";
import { findMotoServer, startMoto } from "@lambdaform/moto";
import { build } from "esbuild";
import { type Stat, stat } from "./stats.ts";

const FUNCTIONS = ["hello-api", "s3-processor", "ec2-monitor"] as const;
const CHILD = new URL("./cold-child.mjs", import.meta.url).pathname;
const WARM_CHILD = new URL("./warm-child.mjs", import.meta.url).pathname;

export interface FunctionBench {
  readonly name: string;
  readonly sizes: { raw: number; gzip: number; zip: number };
  readonly coldMs: Record<string, Stat>;
  readonly warmMs: Stat;
  /** The same, for the `--baseline` checkout's bundle (run right after this one's). */
  readonly warmMsBaseline?: Stat;
}

/** The two comparison baselines, built for this benchmark only (never shipped). */
async function buildBaselines(dir: string): Promise<Record<string, string>> {
  const require = createRequire(join(dir, "package.json"));
  const common = {
    entryPoints: [join(dir, "src", "handler.ts")],
    bundle: true,
    platform: "node" as const,
    format: "esm" as const,
    target: "node20",
    minify: true,
    logLevel: "silent" as const,
    banner: {
      js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
  };
  const cjsMain = join(dir, ".bench", "cjs-main", "index.mjs");
  // esbuild's default for platform node: packages' CommonJS `main` first.
  await build({ ...common, outfile: cjsMain });
  const unbundled = join(dir, ".bench", "unbundled", "index.mjs");
  await build({
    ...common,
    outfile: unbundled,
    plugins: [
      {
        name: "node-modules-at-run-time",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            // The function's own dependencies (the AWS SDK, p-limit) load from its node_modules at run
            // time; workspace code and what it imports stay bundled (Node cannot load TypeScript).
            if (args.path.startsWith("node:") || args.path.startsWith("@lambdaform/")) return undefined;
            if (!args.importer.startsWith(join(dir, "src"))) return undefined;
            require.resolve(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return {
    "ESM bundle (product)": join(dir, "dist", "index.mjs"),
    "CommonJS-main bundle": cjsMain,
    "dependencies from node_modules": unbundled,
  };
}

function wall(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, encoding: "utf8" });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
  return elapsed;
}

/** Bundle sizes, cold start (fresh process, first invocation) against baselines, and warm latency. */
export async function benchFunctions(
  root: string,
  runs: number,
  warmCalls: number,
  progress: (s: string) => void,
  /** Another checkout whose built bundles run beside this one's, interleaved (`--baseline <dir>`). */
  baselineRoot?: string,
): Promise<FunctionBench[]> {
  const motoServer = findMotoServer();
  if (!motoServer)
    throw new Error("the functions bench needs moto_server (pip install 'moto[server]') for local endpoints");
  const moto = await startMoto(motoServer);
  const work = mkdtempSync(join(tmpdir(), "lf-bench-fn-"));
  try {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_REGION: "us-east-1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      TABLE_NAME: "bench-table",
    };
    const clientConfig = {
      endpoint: moto.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    };
    const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "bench-bucket" }));
    await s3.send(
      new PutObjectCommand({ Bucket: "bench-bucket", Key: "uploads/test-file.txt", Body: "Hello Lambda!\n" }),
    );
    await new DynamoDBClient(clientConfig).send(
      new CreateTableCommand({
        TableName: "bench-table",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "file_key", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "file_key", AttributeType: "S" }],
      }),
    );
    const events: Record<string, unknown> = {
      "hello-api": generateEvent("apigw", undefined, LOCAL_ACCOUNT_ID),
      // A fresh sequencer per run would be fairer to DynamoDB, but the write is conditional either way.
      "s3-processor": generateEvent("s3", undefined, LOCAL_ACCOUNT_ID, {
        s3: { bucket: "bench-bucket", key: "uploads/test-file.txt", size: 14 },
      }),
      "ec2-monitor": generateEvent("schedule", undefined, LOCAL_ACCOUNT_ID),
    };
    const results: FunctionBench[] = [];
    for (const name of FUNCTIONS) {
      const dir = join(root, "packages", "functions", name);
      const manifest = JSON.parse(readFileSync(join(dir, "dist", "manifest.json"), "utf8")) as {
        sizes: FunctionBench["sizes"];
      };
      const eventFile = join(work, `${name}.json`);
      writeFileSync(eventFile, JSON.stringify(events[name]));
      mkdirSync(join(dir, ".bench"), { recursive: true });
      const variants = await buildBaselines(dir);
      if (baselineRoot)
        variants["ESM bundle (--baseline)"] = join(
          baselineRoot,
          "packages",
          "functions",
          name,
          "dist",
          "index.mjs",
        );
      const samples: Record<string, number[]> = { "node -e 0": [] };
      for (const label of Object.keys(variants)) samples[label] = [];
      // One unmeasured round first, so moto's own first-call costs (it loads EC2 images lazily) stay out.
      for (const module of Object.values(variants)) wall([CHILD, module, eventFile], env);
      for (let i = 0; i < runs; i++) {
        progress(`functions: ${name} cold start, run ${i + 1}/${runs}`);
        samples["node -e 0"]?.push(wall(["-e", "0"], env));
        for (const [label, module] of Object.entries(variants))
          samples[label]?.push(wall([CHILD, module, eventFile], env));
      }
      const warmOf = (module: string) => {
        const warm = spawnSync(process.execPath, [WARM_CHILD, module, eventFile, String(warmCalls)], {
          env,
          encoding: "utf8",
        });
        if (warm.status !== 0) throw new Error(`warm bench of ${name} failed:\n${warm.stderr}`);
        return stat(JSON.parse(warm.stdout) as number[], true);
      };
      const warmMs = warmOf(variants["ESM bundle (product)"] ?? "");
      const baselineBundle = variants["ESM bundle (--baseline)"];
      const warmMsBaseline = baselineBundle ? warmOf(baselineBundle) : undefined;
      results.push({
        name,
        sizes: manifest.sizes,
        coldMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stat(v)])),
        warmMs,
        ...(warmMsBaseline ? { warmMsBaseline } : {}),
      });
    }
    return results;
  } finally {
    await moto.stop();
  }
}
