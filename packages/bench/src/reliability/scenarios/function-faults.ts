import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type InvocationResult, LocalRuntime, readStack } from "@lambdaform/local";
import { Findings, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { pool } from "../stack-io.ts";

const FAULTS = ["timeout", "crash", "memory", "hang"] as const;
type Fault = (typeof FAULTS)[number];

/** What Lambda reports for each fault (errorType), as its runtime does. */
const REPORTED: Record<Fault, string> = {
  timeout: "Sandbox.Timedout",
  crash: "Runtime.ExitError",
  memory: "Runtime.OutOfMemory",
  hang: "Sandbox.Timedout",
};

/** Builds the faulty fixture as the real functions are built, into a synthesized stack of one function. */
function faultyStack(root: string): { dir: string; cleanup: () => void } {
  const fixture = join(root, "packages", "bench", "fixtures", "faulty");
  const built = spawnSync(
    process.execPath,
    [join(root, "packages", "bundler", "bin", "lambdaform-bundle.mjs")],
    {
      cwd: fixture,
      encoding: "utf8",
    },
  );
  if (built.status !== 0)
    throw new Error(`building the faulty fixture failed:\n${built.stderr}${built.stdout}`);
  const hash = JSON.parse(readFileSync(join(fixture, "dist", "manifest.json"), "utf8")).sourceCodeHash;
  const base = mkdtempSync(join(tmpdir(), "lf-reliability-faults-"));
  const dir = join(base, "lambdaform-faults");
  mkdirSync(join(dir, "assets", "faulty"), { recursive: true });
  copyFileSync(join(fixture, "dist", "function.zip"), join(dir, "assets", "faulty", "function.zip"));
  writeFileSync(
    join(dir, "cdk.tf.json"),
    JSON.stringify({
      provider: { aws: [{ region: "eu-west-1" }] },
      resource: {
        aws_lambda_function: {
          faulty: {
            function_name: "lambdaform-faults-faulty",
            handler: "index.handler",
            runtime: "nodejs22.x",
            architectures: ["arm64"],
            memory_size: 128,
            // Long enough for ten concurrent environments to fill 128 MB on two cores before it.
            timeout: 3,
            filename: "assets/faulty/function.zip",
            source_code_hash: hash,
            environment: { variables: {} },
          },
        },
      },
    }),
  );
  return { dir, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/**
 * Function faults: a function that times out, one that crashes its process, one that exceeds its
 * memory and one that hangs without returning, run in the local Lambda runtime pnpm dev uses,
 * interleaved with healthy invocations of the same function. Each fault is reported as Lambda
 * reports it; every healthy invocation succeeds; the runtime itself never fails.
 */
export async function functionFaults(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("function faults");
  const faults = ctx.smoke ? 8 : 100;
  const stack = faultyStack(ctx.root);
  const runtime = new LocalRuntime(readStack(stack.dir), {
    dataDir: mkdtempSync(join(tmpdir(), "lf-reliability-faults-data-")),
  });
  const fn = runtime.function("faulty");
  // fault, healthy, fault, healthy, …: four kinds in turn.
  const plan = Array.from({ length: faults * 2 }, (_, i) =>
    i % 2 === 0 ? { fault: FAULTS[(i / 2) % FAULTS.length] as Fault } : { n: i },
  );
  const reported = new Map<Fault, Map<string, number>>();
  let healthyOk = 0;
  let runtimeErrors = 0;
  const started = performance.now();
  ctx.progress(`reliability: ${faults} faulty invocations interleaved with ${faults} healthy ones`);
  try {
    await pool(plan, 10, async (event) => {
      let result: InvocationResult;
      try {
        result = await fn.invoke(event);
      } catch (error) {
        runtimeErrors += 1;
        f.expect(false, `the runtime threw instead of reporting: ${(error as Error).message}`);
        return;
      }
      if ("fault" in event && event.fault) {
        const type = String((result.payload as { errorType?: string } | null)?.errorType);
        const counts = reported.get(event.fault) ?? new Map<string, number>();
        counts.set(type, (counts.get(type) ?? 0) + 1);
        reported.set(event.fault, counts);
      } else if (!result.functionError && (result.payload as { n?: number } | null)?.n === event.n)
        healthyOk += 1;
    });
    // After all of it, one more of each: the function still answers.
    const after = await fn.invoke({ n: -1 });
    f.expect(!after.functionError, "the invocation after the faults failed");
  } finally {
    await runtime.close();
    stack.cleanup();
  }
  for (const fault of FAULTS) {
    const counts = reported.get(fault) ?? new Map();
    f.add(
      `${fault}: reported as`,
      [...counts].map(([type, n]) => `${type} ×${n}`).join(", ") || "(none ran)",
    );
    const wrong = [...counts].filter(([type]) => type !== REPORTED[fault]);
    f.expect(
      wrong.length === 0,
      `${fault} was reported as ${wrong.map(([t]) => t).join(", ")}, not ${REPORTED[fault]}`,
    );
  }
  f.add("healthy invocations succeeded", `${healthyOk} / ${faults}`);
  f.add("wall time", `${((performance.now() - started) / 1000).toFixed(1)} s`);
  f.lost = faults - healthyOk;
  f.crashed = runtimeErrors;
  f.expect(healthyOk === faults, `${faults - healthyOk} healthy invocations failed`);
  return f.result();
}
