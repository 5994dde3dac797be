import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type DevOptions, type DevStack, infraSynth, startDev } from "@lambdaform/local";
import { freePort } from "@lambdaform/moto";
import { DevProcess } from "./reliability/dev-process.ts";
import { scratchRepo } from "./reliability/scratch-repo.ts";
import { type Stat, stat } from "./stats.ts";

/** The figures of the dev loop, each a distribution over its runs. */
export interface DevBench {
  readonly coldReadyMs: Stat;
  readonly warmReadyMs: Stat;
  /**
   * As a person waits, measured from outside: `pnpm dev` typed (in a working copy) → the first 200
   * from GET /prod/hello; turbo's build, the synth and the CLI's start included. Beside each, the
   * `ready in` figure that run printed.
   */
  readonly typedToHelloMs: { readonly cold: Stat; readonly warm: Stat };
  readonly typedReadyPrintedMs: { readonly cold: Stat; readonly warm: Stat };
  readonly warmUploads: number;
  /** Save a function source → first response from the new code (p95 as `p99` would not fit 10 runs). */
  readonly saveToResponseMs: Stat & { readonly p95: number };
  readonly infraEditMs: Stat;
  readonly terraformInitMs: Stat;
  readonly logsFollowMs: Stat;
}

const until = async <T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> => {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const p95 = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? 0;
};

/**
 * `pnpm bench --only dev`: the dev loop's figures. Cold and warm ready times of `pnpm dev`, a
 * function source saved → the first response from the new code, an infra edit → applied and live,
 * `terraform init` in a new working directory, and a log line written → printed by
 * `pnpm logs --follow`.
 */
/**
 * `pnpm dev` as a person starts it, timed from outside the process: in a working copy of the
 * repository (its own data directory), from the command to the first 200 from GET /prod/hello.
 * Cold: a fresh data directory each run; warm: the same one again, infra unchanged.
 */
async function typedToHello(
  root: string,
  runs: number,
  progress: (line: string) => void,
): Promise<Pick<DevBench, "typedToHelloMs" | "typedReadyPrintedMs">> {
  const repo = scratchRepo(root);
  const logFile = join(repo.dir, "..", "pnpm-dev.log");
  const once = async (dataRoot: string) => {
    const port = await freePort();
    const started = performance.now();
    const dev = DevProcess.start({ root: repo.dir, dataRoot, port, logFile, asPerson: true });
    try {
      const ms = await until(async () => {
        const exit = dev.child.exitCode;
        if (exit !== null) throw new Error(`pnpm dev exited (${exit}):\n${dev.tail()}`);
        const status = await fetch(`http://127.0.0.1:${port}/prod/hello`)
          .then((r) => r.status)
          .catch(() => 0);
        return status === 200 ? performance.now() - started : undefined;
      }, 180_000);
      // The API answers before the stack says it is ready (the schedules are armed last).
      await dev.waitFor(/^ready in [\d.]+ s$/m, 60_000);
      const printed = /^ready in ([\d.]+) s$/m.exec(dev.printed)?.[1];
      return { ms, printedMs: printed ? Number(printed) * 1000 : Number.NaN };
    } finally {
      await dev.stop();
    }
  };
  try {
    const cold: Array<{ ms: number; printedMs: number }> = [];
    const warm: Array<{ ms: number; printedMs: number }> = [];
    const warmRoot = join(repo.dir, "..", "data-warm");
    for (let i = 0; i < runs; i++) {
      progress(`dev: pnpm dev typed → first 200 from /hello, cold ${i + 1}/${runs}`);
      cold.push(await once(i === 0 ? warmRoot : join(repo.dir, "..", `data-cold-${i}`)));
    }
    for (let i = 0; i < runs; i++) {
      progress(`dev: pnpm dev typed → first 200 from /hello, warm ${i + 1}/${runs}`);
      warm.push(await once(warmRoot));
    }
    return {
      typedToHelloMs: { cold: stat(cold.map((r) => r.ms)), warm: stat(warm.map((r) => r.ms)) },
      typedReadyPrintedMs: {
        cold: stat(cold.map((r) => r.printedMs)),
        warm: stat(warm.map((r) => r.printedMs)),
      },
    };
  } finally {
    repo.remove();
  }
}

export async function benchDev(
  root: string,
  options: { readonly runs: number; readonly saves: number; readonly uploads: number },
  progress: (line: string) => void,
): Promise<DevBench> {
  const stackDir = join(root, "packages", "infra", "cdktf.out", "stacks", "lambdaform-dev");
  // hello-api's sources, copied inside its package (its dependencies resolve from there) to edit.
  const hot = join(root, "packages", "functions", "hello-api", `.hot-bench-${process.pid}`);
  mkdirSync(hot, { recursive: true });
  cpSync(join(root, "packages", "functions", "hello-api", "src"), join(hot, "src"), { recursive: true });
  cpSync(join(root, "packages", "functions", "hello-api", "package.json"), join(hot, "package.json"));
  // Saving a file here stands for saving an infra source (the real synth runs; see below).
  mkdirSync(join(hot, "infra-trigger"), { recursive: true });
  const original = readFileSync(join(hot, "src", "answer-hello.ts"), "utf8");
  const dataRoot = mkdtempSync(join(tmpdir(), "lf-bench-dev-"));
  let dev: DevStack | undefined;
  let memory = 128;
  // When each invocation's START line was written (by request id), for pnpm logs --follow.
  const written = new Map<string, number>();
  const devOptions = (dataDir: string, port: number, watch: boolean): DevOptions => ({
    stage: "dev",
    stackDir,
    dataDir,
    ephemeral: false,
    port,
    iam: "enforce",
    instances: 3,
    progress: (line) => {
      if (/^(ready in|reloaded|infra applied|infra reload failed|build of)/.test(line))
        progress(`dev: ${line}`);
    },
    functionLog: (_name, line) => {
      const start = /^START RequestId: (\S+)/.exec(line);
      if (start?.[1]) written.set(start[1], performance.now());
    },
    hooks: { schedules: false, apiThrottling: false },
    root,
    watch: watch
      ? {
          packages: new Map([["lambdaform-dev-hello-api", hot]]),
          shared: [],
          infra: {
            dir: join(hot, "infra-trigger"),
            // The real synth of the infra package, then the edit under test: hello-api's memory.
            synth: async () => {
              const dir = await infraSynth(root, "dev", join(dataRoot, "synth"))();
              const file = join(dir, "cdk.tf.json");
              const json = JSON.parse(readFileSync(file, "utf8"));
              for (const fn of Object.values(json.resource.aws_lambda_function) as Array<
                Record<string, unknown>
              >)
                if (String(fn.function_name).endsWith("hello-api")) fn.memory_size = memory;
              writeFileSync(file, JSON.stringify(json));
              return dir;
            },
          },
        }
      : undefined,
  });
  // Where `pnpm logs --data-dir <dataRoot>` finds the running stack of stage dev; the first cold
  // start's data directory, which then takes the uploads for the warm starts.
  const warmDir = join(dataRoot, "dev", "dev");
  try {
    const typed = await typedToHello(root, options.runs, progress);
    const cold: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      progress(`dev: cold start ${i + 1}/${options.runs} (fresh data directory)`);
      const started = performance.now();
      dev = await startDev(
        devOptions(i === 0 ? warmDir : join(dataRoot, "dev", `cold-${i}`), await freePort(), false),
      );
      cold.push(performance.now() - started);
      await dev.stop();
      dev = undefined;
    }

    // A data directory that has seen `uploads` uploads (each a processor invocation and its logs).
    dev = await startDev(devOptions(warmDir, await freePort(), false));
    progress(`dev: ${options.uploads} uploads into the data directory`);
    const s3 = new S3Client({
      endpoint: dev.gateway.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      forcePathStyle: true,
    });
    const bucket = dev.current().deployed.buckets[0] ?? "";
    for (let i = 0; i < options.uploads; i++)
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `uploads/warm-${i}.txt`, Body: `upload ${i}` }),
      );
    await dev.current().runtime.drain();
    await dev.stop();
    dev = undefined;
    const warm: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      progress(`dev: warm start ${i + 1}/${options.runs}`);
      const started = performance.now();
      dev = await startDev(devOptions(warmDir, await freePort(), i === options.runs - 1));
      warm.push(performance.now() - started);
      if (i < options.runs - 1) {
        await dev.stop();
        dev = undefined;
      }
    }
    if (!dev) throw new Error("no stack");
    const running = dev;
    const url = `${running.gateway.endpoint}/prod/hello`;
    const message = async () => ((await (await fetch(url)).json()) as { message?: string }).message;

    progress(
      `dev: ${options.saves} saves of hello-api, each until the first response from the new code (after one unmeasured)`,
    );
    const saves: number[] = [];
    for (let i = -1; i < options.saves; i++) {
      const expected = `Hello from save ${i}!`;
      const started = performance.now();
      writeFileSync(
        join(hot, "src", "answer-hello.ts"),
        original.replace('"Hello from AWS Lambda!"', JSON.stringify(expected)),
      );
      await until(async () => ((await message()) === expected ? true : undefined));
      if (i >= 0) saves.push(performance.now() - started);
    }

    const infra: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      memory = 160 + 32 * i;
      progress(
        `dev: infra edit ${i + 1}/${options.runs} (hello-api's memory → ${memory} MB) until applied and live`,
      );
      const started = performance.now();
      writeFileSync(join(hot, "infra-trigger", "stages.ts"), `// ${memory}\n`);
      await until(
        () => (running.current().runtime.function("hello-api").spec.memoryMb === memory ? true : undefined),
        120_000,
      );
      infra.push(performance.now() - started);
    }

    progress("dev: pnpm logs --follow, a log line written → printed");
    const follow: number[] = [];
    const cli = join(root, "packages", "local", "bin", "lambdaform.mjs");
    const child = spawn(
      process.execPath,
      [
        cli,
        "logs",
        "hello-api",
        "--follow",
        "--since",
        "1s",
        "--stack-dir",
        stackDir,
        "--data-dir",
        dataRoot,
      ],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const printed = new Map<string, number>();
    let ready = false;
    child.stderr.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("using the local stack")) ready = true;
    });
    child.stdout.on("data", (chunk: Buffer) => {
      const now = performance.now();
      for (const match of chunk.toString().matchAll(/START RequestId: (\S+)/g))
        if (match[1]) printed.set(match[1], now);
    });
    try {
      await until(() => (ready ? true : undefined));
      for (let i = 0; i < options.saves; i++) {
        const before = new Set(written.keys());
        await fetch(url);
        const id = await until(() => [...written.keys()].find((k) => !before.has(k)));
        await until(() => (printed.has(id) ? true : undefined), 15_000);
        follow.push((printed.get(id) ?? 0) - (written.get(id) ?? 0));
      }
    } finally {
      child.kill("SIGINT");
    }

    progress("dev: terraform init in a new working directory");
    const { initStack, listStacks } = await import("@lambdaform/infra");
    const [synthesized] = listStacks(join(root, "packages", "infra", "cdktf.out")).filter(
      (s) => s.name === "lambdaform-dev",
    );
    const inits: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      if (!synthesized) break;
      const started = performance.now();
      await initStack(synthesized, mkdtempSync(join(tmpdir(), "lf-bench-init-")), { backend: false });
      inits.push(performance.now() - started);
    }
    return {
      coldReadyMs: stat(cold),
      warmReadyMs: stat(warm),
      ...typed,
      warmUploads: options.uploads,
      saveToResponseMs: { ...stat(saves), p95: p95(saves) },
      infraEditMs: stat(infra),
      terraformInitMs: stat(inits),
      logsFollowMs: stat(follow),
    };
  } finally {
    await dev?.stop();
    rmSync(hot, { recursive: true, force: true });
    rmSync(dataRoot, { recursive: true, force: true });
  }
}
