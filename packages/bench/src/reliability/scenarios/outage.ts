import { spawn } from "node:child_process";
import { Findings, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { clients, eventually, pool, put, rows, stackNames } from "../stack-io.ts";

/** Runs a `pnpm` command of the repository (as a user types it) and keeps what it printed. */
function pnpm(root: string, args: ReadonlyArray<string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("pnpm", args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/**
 * Outage and redrive: DynamoDB refuses the table's calls (503 ServiceUnavailable) during a burst of
 * uploads; the processor's invocations fail, are retried as configured and land in the stack's
 * real SQS DLQ with their error. After the outage, `pnpm dlq redrive` brings every row.
 */
export async function outageAndRedrive(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("outage and redrive");
  const dev = ctx.dev ?? ctx.start();
  ctx.dev = dev;
  await dev.ready();
  const names = stackNames(dev.printed);
  const c = clients(dev.control.endpoint, names.region);
  const uploads = ctx.smoke ? 20 : 200;
  const prefix = `uploads/outage-${Date.now()}-`;
  const keys = Array.from({ length: uploads }, (_, i) => `${prefix}${String(i).padStart(3, "0")}.txt`);
  const lettersOf = async () =>
    (await dev.control.deadLetters()).filter((l) => {
      const key = (l.record.requestPayload as { Records?: Array<{ s3?: { object?: { key?: string } } }> })
        ?.Records?.[0]?.s3?.object?.key;
      return typeof key === "string" && decodeURIComponent(key.replace(/\+/g, " ")).startsWith(prefix);
    });
  const dlqBefore = (await dev.control.deadLetters()).length;

  await dev.control.faults({ unavailable: [{ service: "dynamodb", resource: names.table }] });
  ctx.progress(`reliability: DynamoDB down for ${names.table}; ${uploads} uploads`);
  let refused = 0;
  await pool(keys, 20, async (key) => {
    try {
      await put(c, names.bucket, key, `uploaded during the outage: ${key}`);
    } catch {
      refused += 1;
    }
  });
  // Each event: the first attempt and the configured retries (1 s, 2 s apart), then the DLQ.
  const allDead = await eventually(async () => (await lettersOf()).length >= uploads, 180_000, 1_000);
  const { counters } = await dev.control.faults();
  const dead = await lettersOf();
  await dev.control.faults({});
  f.expect(allDead, `only ${dead.length} of ${uploads} failed events reached the DLQ within 180 s`);
  const attempts = new Set(dead.map((l) => l.record.requestContext.approximateInvokeCount));
  const errors = new Set(
    dead.map((l) => String((l.record.responsePayload as { errorType?: string } | null)?.errorType)),
  );
  const queue = dead[0]?.queueName ?? "";
  const rowsDuring = (await rows(c, names.table, prefix)).size;

  const redrive = await pnpm(ctx.root, [
    "dlq",
    "redrive",
    queue,
    "--stage",
    "dev",
    "--data-dir",
    ctx.dataRoot,
  ]);
  const dlqAfter = (await lettersOf()).length;
  const found = await rows(c, names.table, prefix);
  const distinct = new Set(
    dead.map(
      (l) =>
        (l.record.requestPayload as { Records: Array<{ s3: { object: { key: string } } }> }).Records[0]?.s3
          .object.key,
    ),
  );
  f.lost = keys.filter((k) => !found.has(k)).length + refused;
  f.duplicated = dead.length - distinct.size + [...found.values()].filter((l) => l.length > 1).length;
  f.add("uploads during the outage", `${uploads - refused} acknowledged`);
  f.add("DynamoDB calls refused (503)", counters.refused);
  f.add("attempts per event", [...attempts].join(", "));
  f.add("errors in the records", [...errors].join(", "));
  f.add("rows during the outage", rowsDuring);
  f.add("DLQ before → after the outage", `${dlqBefore} → ${dlqBefore + dead.length}`);
  f.add("pnpm dlq redrive", redrive.output.trim().split("\n").at(-1) ?? "");
  f.add("DLQ after the redrive", dlqAfter + dlqBefore);
  f.add("rows expected / found", `${uploads} / ${found.size}`);
  f.expect(rowsDuring === 0, `${rowsDuring} rows were written while DynamoDB was down`);
  f.expect(redrive.code === 0, `pnpm dlq redrive exited ${redrive.code}: ${redrive.output.slice(-400)}`);
  f.expect(dlqAfter === 0, `${dlqAfter} dead letters of the outage remain after the redrive`);
  f.expect(f.lost === 0, `${f.lost} uploads have no row after the redrive`);
  f.expect(f.duplicated === 0, `${f.duplicated} duplicate dead letters or rows`);
  return f.result();
}
