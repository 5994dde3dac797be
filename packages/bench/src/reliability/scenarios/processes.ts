import { appendFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { DevProcess, listening } from "../dev-process.ts";
import { Findings, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { clients, eventually, exists, pool, put, rows, stackNames } from "../stack-io.ts";

/** The node process that runs `lambdaform dev` (pnpm's script). */
const DEV_NODE = /node\S* .*lambdaform\S*\.mjs dev /;
const MOTO = /lambdaform_moto\.py/;

/** Everything pnpm dev started is gone within `ms`; what survived counts as crashed (left behind). */
async function allGone(
  f: Findings,
  dev: DevProcess,
  before: ReturnType<DevProcess["processes"]>,
  ms: number,
) {
  const { ms: took, survivors } = await DevProcess.gone(before, ms);
  f.crashed += survivors.length;
  f.expect(
    survivors.length === 0,
    `left running after ${ms / 1000} s: ${survivors.map((s) => `${s.pid} ${s.command.slice(0, 60)}`).join("; ")}`,
  );
  const open = await listening(dev.options.port);
  f.expect(!open, `port ${dev.options.port} still accepts connections`);
  if (open) f.crashed += 1;
  return took;
}

/** After a restart: ready, Terraform's state and moto agree (a plan with refresh changes nothing). */
async function recovered(f: Findings, ctx: ScenarioContext, label: string): Promise<DevProcess> {
  const dev = ctx.start();
  ctx.dev = dev;
  try {
    const ms = await dev.ready();
    f.add(`${label}: ready`, `${(ms / 1000).toFixed(1)} s`);
  } catch (error) {
    f.crashed += 1;
    f.expect(false, `${label}: pnpm dev did not recover: ${(error as Error).message}`);
    throw error;
  }
  const plan = await dev.control.plan();
  f.add(`${label}: plan after`, plan.changes.length === 0 ? "no changes" : plan.changes.join(", "));
  f.expect(
    plan.changes.length === 0,
    `${label}: the plan after the restart would change ${plan.changes.join(", ")}`,
  );
  f.expect(
    plan.drift.length === 0,
    `${label}: resources drifted from Terraform's state: ${plan.drift.join(", ")}`,
  );
  return dev;
}

/** `pnpm dev` SIGKILLed while terraform apply creates the stack; the next start recovers on its own. */
export async function killedMidApply(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("pnpm dev SIGKILLed mid-apply");
  const dev = ctx.start();
  await dev.waitFor(/terraform apply$/m, 120_000);
  // Into the creation of the resources: the cold apply takes about 30 s here.
  await new Promise((r) => setTimeout(r, ctx.smoke ? 8_000 : 12_000));
  const applied = /\d+ added, \d+ changed/.test(dev.printed);
  f.expect(!applied, "the apply had finished before the kill: not a kill mid-apply");
  const before = [...dev.processes(), ...dev.descendants()];
  const killed = dev.signalProcess(DEV_NODE, "SIGKILL");
  f.expect(killed !== undefined, "found no node process running lambdaform dev to kill");
  f.add("killed", `node (pid ${killed?.pid}) during terraform apply`);
  const took = await allGone(f, dev, before, 15_000);
  f.add("its children gone after", took === undefined ? "(some left)" : `${(took / 1000).toFixed(1)} s`);
  await dev.stop();
  await recovered(f, ctx, "restart");
  return f.result();
}

/** `pnpm dev` SIGKILLed (pnpm's whole group) while uploads come in; nothing acknowledged is lost. */
export async function killedMidLoad(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("pnpm dev SIGKILLed mid-load");
  let dev = ctx.dev ?? ctx.start();
  await dev.ready();
  const names = stackNames(dev.printed);
  const uploads = ctx.smoke ? 60 : 400;
  const prefix = `uploads/kill-${Date.now()}-`;
  const keys = Array.from({ length: uploads }, (_, i) => `${prefix}${String(i).padStart(3, "0")}.txt`);
  const acknowledged: string[] = [];
  let killedAt = -1;
  const before = [...dev.processes(), ...dev.descendants()];
  const c = clients(dev.control.endpoint, names.region);
  await pool(keys, 10, async (key) => {
    if (killedAt >= 0) return;
    try {
      await put(c, names.bucket, key, `uploaded before the kill: ${key}`);
      acknowledged.push(key);
    } catch {
      // Refused or cut off by the kill: not acknowledged, so not owed.
    }
    if (acknowledged.length === Math.floor(uploads / 2) && killedAt < 0) {
      killedAt = acknowledged.length;
      // As the OOM killer or `kill -9 -<pgid>` would: no handler runs.
      dev.signalGroup("SIGKILL");
    }
  });
  f.add("uploads acknowledged before the kill", acknowledged.length);
  await allGone(f, dev, before, 15_000);
  await dev.stop();
  dev = await recovered(f, ctx, "restart");
  const after = clients(dev.control.endpoint, names.region);
  // The restart resumes the events that were queued or running when it was killed.
  const settled = await eventually(
    async () => {
      const found = await rows(after, names.table, prefix);
      return acknowledged.every((k) => found.has(k));
    },
    60_000,
    500,
  );
  const found = await rows(after, names.table, prefix);
  let objects = 0;
  for (const key of acknowledged) if (await exists(after, names.bucket, key)) objects += 1;
  f.lost = acknowledged.filter((k) => !found.has(k)).length + (acknowledged.length - objects);
  f.add("objects found after the restart", `${objects} / ${acknowledged.length}`);
  f.add(
    "rows found after the restart",
    `${acknowledged.filter((k) => found.has(k)).length} / ${acknowledged.length}`,
  );
  const resumed = /resumed (\d+) asynchronous event/.exec(dev.printed)?.[1] ?? "0";
  f.add("events resumed by the restart", resumed);
  f.expect(settled, "not every acknowledged upload has its row 60 s after the restart");
  f.expect(objects === acknowledged.length, `${acknowledged.length - objects} acknowledged objects are gone`);
  return f.result();
}

/** A torn, then a corrupt, last line of moto's journal: the next start keeps everything before it. */
export async function brokenJournalTail(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("torn or corrupt last journal line");
  let dev = ctx.dev ?? ctx.start();
  await dev.ready();
  const names = stackNames(dev.printed);
  const prefix = `uploads/journal-${Date.now()}-`;
  const c = clients(dev.control.endpoint, names.region);
  for (let i = 0; i < 5; i++) await put(c, names.bucket, `${prefix}${i}.txt`, `before the tear ${i}`);
  await eventually(async () => (await rows(c, names.table, prefix)).size === 5, 30_000);
  const rowsBefore = (await rows(c, names.table, "")).size;
  const journal = join(ctx.dataRoot, "dev", "dev", "moto", "journal.jsonl");
  for (const [label, tail] of [
    ["torn", '{"seq": 99999999, "method": "PUT", "bo'],
    ["corrupt", "this is not JSON at all\n"],
  ] as const) {
    await dev.stop();
    f.expect(existsSync(journal), `no journal at ${journal}`);
    const size = existsSync(journal) ? statSync(journal).size : 0;
    appendFileSync(journal, tail);
    dev = await recovered(f, ctx, `${label} line`);
    const said = /dropped a torn last journal line \((\d+) bytes/.exec(dev.printed);
    f.add(`${label} line: start said`, said ? `dropped ${said[1]} bytes` : "(nothing)");
    f.expect(
      said?.[1] === String(Buffer.byteLength(tail)),
      `${label} line: the start did not say it dropped the line`,
    );
    f.expect(statSync(journal).size >= size, `${label} line: the journal lost entries before the tail`);
    const rowsAfter = (await rows(clients(dev.control.endpoint, names.region), names.table, "")).size;
    f.add(`${label} line: rows before → after`, `${rowsBefore} → ${rowsAfter}`);
    if (rowsAfter < rowsBefore) f.lost += rowsBefore - rowsAfter;
  }
  return f.result();
}

/** moto killed under a running pnpm dev: it says so and stops, leaving nothing; the next start recovers. */
export async function motoKilled(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("moto killed while pnpm dev runs");
  let dev = ctx.dev ?? ctx.start();
  await dev.ready();
  const names = stackNames(dev.printed);
  const rowsBefore = (await rows(clients(dev.control.endpoint, names.region), names.table, "")).size;
  const before = [...dev.processes(), ...dev.descendants()];
  const moto = dev.signalProcess(MOTO, "SIGKILL");
  f.expect(moto !== undefined, "found no moto process to kill");
  const started = performance.now();
  const ended = await Promise.race([
    dev.exited.then((e) => e),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000)),
  ]);
  f.add(
    "pnpm dev ended",
    ended
      ? `${((performance.now() - started) / 1000).toFixed(1)} s after, ${dev.describeExit()}`
      : "no (hung)",
  );
  f.expect(ended !== undefined, "pnpm dev did not end within 15 s of moto's death");
  if (!ended) f.crashed += 1;
  const said = /moto stopped unexpectedly[^\n]*/.exec(dev.printed)?.[0] ?? "";
  f.add("it said", said.slice(0, 90));
  f.expect(said !== "", "pnpm dev did not say that moto stopped");
  await allGone(f, dev, before, 10_000);
  await dev.stop();
  dev = await recovered(f, ctx, "restart");
  const rowsAfter = (await rows(clients(dev.control.endpoint, names.region), names.table, "")).size;
  f.add("rows before → after", `${rowsBefore} → ${rowsAfter}`);
  if (rowsAfter < rowsBefore) f.lost += rowsBefore - rowsAfter;
  return f.result();
}

/** SIGINT, then SIGTERM, sent by a script to pnpm dev's process group: everything gone within 5 s. */
export async function signalsFromAScript(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("SIGINT and SIGTERM from a script");
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const dev = ctx.dev ?? ctx.start();
    ctx.dev = undefined;
    await dev.ready();
    const before = [...dev.processes(), ...dev.descendants()];
    dev.signalGroup(signal);
    const took = await allGone(f, dev, before, 5_000);
    f.add(
      `${signal}: all ${before.length} processes gone`,
      took === undefined ? "no" : `${(took / 1000).toFixed(2)} s`,
    );
    f.expect(/stopping/.test(dev.printed), `${signal}: pnpm dev did not say it was stopping`);
    await dev.stop();
  }
  await recovered(f, ctx, "restart");
  return f.result();
}
