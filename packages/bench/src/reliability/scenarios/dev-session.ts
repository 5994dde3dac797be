/// <reference lib="dom" />
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { freePort } from "@lambdaform/moto";
import { CHROMIUM_ARGS, CHROMIUM_HINT, findChromium } from "@lambdaform/testkit";
import { type Browser, chromium } from "playwright-core";
import { DevProcess } from "../dev-process.ts";
import { Findings, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { scratchRepo } from "../scratch-repo.ts";
import { clients, eventually, put, rows, stackNames } from "../stack-io.ts";

const DEV_NODE = /node\S* .*lambdaform\S*\.mjs dev /;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const median = (values: ReadonlyArray<number>) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
/** The q-quantile of a sample (0 when empty). */
const quantile = (values: ReadonlyArray<number>, q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
};

/** One source the session saves, and the line of it each save rewrites. */
interface Edit {
  readonly fn: "hello-api" | "s3-processor" | "ec2-monitor";
  readonly file: string;
  /** The text a save replaces, and what replaces it (with the save's number). */
  readonly from: RegExp;
  readonly to: (save: number) => string;
}

const EDITS: ReadonlyArray<Edit> = [
  {
    fn: "hello-api",
    file: "packages/functions/hello-api/src/answer-hello.ts",
    from: /export const HELLO_MESSAGE = "[^"]*";/,
    to: (n) => `export const HELLO_MESSAGE = "Hello from save ${n}";`,
  },
  {
    fn: "s3-processor",
    file: "packages/functions/s3-processor/src/process-uploads.ts",
    from: /deps\.logger\.info\("processed event[^"]*"/,
    to: (n) => `deps.logger.info("processed event (save ${n})"`,
  },
  {
    fn: "ec2-monitor",
    file: "packages/functions/ec2-monitor/src/handler.ts",
    from: /logger\.info\("scheduled run[^"]*"/,
    to: (n) => `logger.info("scheduled run (save ${n})"`,
  },
];

/** Writes a file the way editors do: in place (VS Code), or a temporary file renamed over it (vim, JetBrains). */
function save(file: string, text: string, how: "in place" | "rename"): void {
  if (how === "in place") writeFileSync(file, text);
  else {
    writeFileSync(`${file}.swp~`, text);
    renameSync(`${file}.swp~`, file);
  }
}

/**
 * What a person does with `pnpm dev` for a few minutes, all at once, in a working copy of the
 * repository: saves of each function's source every 1-3 s, written the ways editors write; API
 * traffic at 10-40 requests/s throughout (under the dev stage's 50/s throttle); an upload every
 * 2 s; one infra edit (hello-api's memory); the console open in Chromium; `pnpm logs -f` running.
 * Expected: every save served (hello-api's by the API's answers, p95 ≤ 500 ms and max ≤ 2 s; the
 * others' by their `reloaded` line and their next log lines), no `could not write` line, the
 * API's Count and hello-api's Invocations in CloudWatch equal to the requests made, every upload's
 * row, and pnpm dev's RSS and file descriptors flat over the last two minutes.
 */
export async function devSession(ctx: ScenarioContext): Promise<ScenarioResult> {
  const f = new Findings("dev session");
  const durationMs = ctx.smoke ? 45_000 : 180_000;
  const repo = scratchRepo(ctx.root);
  const port = await freePort();
  const dataRoot = join(ctx.dataRoot, "session");
  const dev = DevProcess.start({ root: repo.dir, dataRoot, port, logFile: ctx.logFile, asPerson: true });
  let browser: Browser | undefined;
  let logs: ChildProcess | undefined;
  try {
    const readyMs = await dev.ready();
    f.add("pnpm dev ready (cold, in a fresh working copy)", `${(readyMs / 1000).toFixed(1)} s`);
    const names = stackNames(dev.printed);
    const endpoint = `http://127.0.0.1:${port}`;
    const io = clients(endpoint, names.region);
    const node = dev.processes().find((p) => DEV_NODE.test(p.command));
    if (!node) throw new Error("found no node process running lambdaform dev");
    // The saves go to the working copy: its pnpm dev must be the copy's, watching the copy.
    if (!node.command.includes(repo.dir))
      throw new Error(`pnpm dev in ${repo.dir} runs another repository's CLI: ${node.command}`);

    // The console, open the whole time, on its live list of invocations.
    const executablePath = findChromium();
    if (executablePath) {
      browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
    } else if (process.env.LAMBDAFORM_REQUIRE_TOOLS === "1")
      throw new Error(`chromium is not available: ${CHROMIUM_HINT}`);
    else
      ctx.progress(
        `reliability: !!! the console part is SKIPPED: chromium is not available: ${CHROMIUM_HINT}`,
      );
    const page = await browser?.newPage();
    const pageErrors: string[] = [];
    page?.on("pageerror", (error) => pageErrors.push(error.message));
    await page?.goto(`${endpoint}/_lambdaform/#/invocations`);
    await page?.waitForSelector('main[data-section="invocations"]');

    // `pnpm logs -f` for hello-api, as a second terminal runs it.
    const logLines: Array<{ at: number; line: string }> = [];
    logs = spawn("pnpm", ["logs", "hello-api", "--follow", "--data-dir", dataRoot], {
      cwd: repo.dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let logsErr = "";
    logs.stderr?.on("data", (chunk: Buffer) => {
      logsErr = (logsErr + chunk).slice(-2000);
    });
    let pending = "";
    logs.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) logLines.push({ at: performance.now(), line });
    });

    // As a person starts it in a second terminal, and sees it follow before going on editing.
    const following = await eventually(
      async () => logsErr.includes("using the local stack") || logLines.length > 0,
      30_000,
    );
    f.expect(following, `pnpm logs --follow did not start following: ${logsErr.trim().slice(-400)}`);

    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let running = true;

    // API traffic: 10-40 requests/s, changing every few seconds; every answer kept.
    const answers: Array<{ at: number; status: number; message?: string }> = [];
    const traffic = (async () => {
      let rate = 20;
      while (running) {
        if (Math.random() < 0.1) rate = 10 + Math.floor(Math.random() * 31);
        const sent = performance.now();
        void fetch(names.apiUrl)
          .then(async (r) => {
            const body = (await r.json().catch(() => ({}))) as { message?: string };
            answers.push({ at: performance.now(), status: r.status, message: body.message });
          })
          .catch(() => answers.push({ at: performance.now(), status: 0 }));
        await sleep(Math.max(0, 1000 / rate - (performance.now() - sent)));
      }
    })();

    // Uploads, every 2 s.
    const uploaded: string[] = [];
    const uploads = (async () => {
      for (let n = 1; running; n++) {
        const key = `uploads/session-${n}.txt`;
        await put(io, names.bucket, key, `upload ${n} of the session\n`);
        uploaded.push(key);
        await sleep(2000);
      }
    })();

    // RSS and descriptors every 5 s.
    const samples: Array<{ at: number; rss: number; fds: number }> = [];
    const sampling = (async () => {
      while (running) {
        samples.push({ at: elapsed(), rss: rssMb(node.pid), fds: fds(node.pid) });
        await sleep(5000);
      }
    })();

    // Saves, every 1-3 s, of each function in turn, in place and renamed over; one infra edit.
    const served: number[] = [];
    const reloads: Array<{ fn: string; ms?: number }> = [];
    /** Every save: what, how, and how long until it was served (undefined: never, within 5 s). */
    const saved: Array<{ n: number; fn: string; how: string; ms?: number; duringApply: boolean }> = [];
    const originals = new Map(EDITS.map((e) => [e.file, readFileSync(join(repo.dir, e.file), "utf8")]));
    const infraFile = join(repo.dir, "packages/infra/src/config/stages.ts");
    let infraEdited = false;
    let infraApplied: Promise<unknown> = Promise.resolve();
    let infraDone = true;
    let saves = 0;
    // Until the session's time is up and the infra edit applied (its invocations must show it).
    while (elapsed() < durationMs - 5_000 || !infraDone) {
      if (!infraEdited && elapsed() > durationMs * 0.4) {
        infraEdited = true;
        const text = readFileSync(infraFile, "utf8");
        const edited = text.replace(
          /"hello-api": \{ memoryMb: 128, timeoutSeconds: 3 \}/,
          '"hello-api": { memoryMb: 192, timeoutSeconds: 3 }',
        );
        if (edited === text) throw new Error("the infra edit found nothing to change in stages.ts");
        save(infraFile, edited, "in place");
        ctx.progress("reliability: infra edit: hello-api's memory 128 → 192 MB");
        infraDone = false;
        infraApplied = dev
          .waitFor(/infra applied in [\d.]+ s/, 180_000)
          .then(() =>
            f.add("infra edit applied", dev.printed.match(/infra applied in [^\n]*/g)?.at(-1) ?? ""),
          )
          .catch((error: Error) => f.expect(false, `the infra edit was not applied: ${error.message}`))
          .finally(() => {
            infraDone = true;
          });
      }
      const edit = EDITS[saves % EDITS.length] as Edit;
      saves += 1;
      const how = saves % 2 === 0 ? "rename" : "in place";
      const file = join(repo.dir, edit.file);
      const text = originals.get(edit.file)?.replace(edit.from, edit.to(saves)) ?? "";
      const reloadsOf = (fn: string) =>
        dev.said.filter((l) => l.startsWith("reloaded ") && l.includes(fn)).length;
      const reloadsBefore = reloadsOf(edit.fn);
      const duringApply = !infraDone;
      const at = performance.now();
      save(file, text, how);
      if (edit.fn === "hello-api") {
        const message = `Hello from save ${saves}`;
        const ok = await eventually(
          async () => answers.some((a) => a.at > at && a.message === message),
          5000,
          10,
        );
        const first = answers.find((a) => a.at > at && a.message === message);
        served.push(ok && first ? first.at - at : Number.POSITIVE_INFINITY);
        saved.push({ n: saves, fn: edit.fn, how, ms: ok && first ? first.at - at : undefined, duringApply });
      } else {
        const ok = await eventually(async () => reloadsOf(edit.fn) > reloadsBefore, 5000, 10);
        reloads.push({ fn: edit.fn, ms: ok ? performance.now() - at : undefined });
        saved.push({ n: saves, fn: edit.fn, how, ms: ok ? performance.now() - at : undefined, duringApply });
      }
      await sleep(1000 + Math.random() * 2000);
    }

    await infraApplied;
    // Traffic for a moment more: hello-api's invocations now run with the edited memory.
    await sleep(2000);
    // The other functions' last saves are what they run now: one upload and one trigger show it.
    running = false;
    await Promise.all([traffic, uploads, sampling]);
    await sleep(1000);
    const lastSave = (fn: string) => {
      for (let n = saves; n > 0; n--) if ((EDITS[(n - 1) % EDITS.length] as Edit).fn === fn) return n;
      return 0;
    };
    await put(io, names.bucket, "uploads/session-last.txt", "the last upload\n");
    uploaded.push("uploads/session-last.txt");
    await dev.control.trigger("lambdaform-dev-EC2MonitoringSchedule").catch(() => undefined);
    for (const fn of ["s3-processor", "ec2-monitor"] as const) {
      const marker = fn === "s3-processor" ? "processed event" : "scheduled run";
      const n = lastSave(fn);
      const seen = await eventually(async () => dev.printed.includes(`${marker} (save ${n})`), 15_000);
      f.expect(n === 0 || seen, `${fn}'s last save (${n}) did not show in its next invocation's log`);
    }

    // Every upload's row.
    const rowsSeen = await eventually(async () => {
      const found = await rows(io, names.table, "uploads/session-");
      return uploaded.every((k) => found.has(k));
    }, 30_000);
    const found = await rows(io, names.table, "uploads/session-");
    const missing = uploaded.filter((k) => !found.has(k));
    f.lost += missing.length;
    f.expect(
      rowsSeen,
      `${missing.length} of ${uploaded.length} uploads have no row: ${missing.slice(0, 5).join(", ")}`,
    );

    // The services' own metrics, once their last flush (every 5 s) is in.
    await sleep(7000);
    const cloudwatch = new CloudWatchClient({
      endpoint,
      region: names.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const sum = async (
      Namespace: string,
      MetricName: string,
      Dimensions: Array<{ Name: string; Value: string }>,
    ) => {
      const { Datapoints = [] } = await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace,
          MetricName,
          Dimensions,
          StartTime: new Date(Date.now() - durationMs - 5 * 60_000),
          EndTime: new Date(Date.now() + 60_000),
          Period: 3600,
          Statistics: ["Sum"],
        }),
      );
      return Datapoints.reduce((n, p) => n + (p.Sum ?? 0), 0);
    };
    const count = await sum("AWS/ApiGateway", "Count", [
      { Name: "ApiName", Value: "lambdaform-dev-LambdaAPI" },
      { Name: "Stage", Value: "prod" },
    ]);
    const invocations = await sum("AWS/Lambda", "Invocations", [
      { Name: "FunctionName", Value: "lambdaform-dev-hello-api" },
    ]);
    cloudwatch.destroy();
    const ok = answers.filter((a) => a.status === 200).length;
    const failedAnswers = answers.filter((a) => a.status !== 200);
    f.add("API requests (200 / other)", `${ok} / ${failedAnswers.length}`);
    f.add("CloudWatch: API Count, hello-api Invocations", `${count}, ${invocations}`);
    f.expect(
      failedAnswers.length === 0,
      `${failedAnswers.length} API requests were not answered 200 (statuses ${[...new Set(failedAnswers.map((a) => a.status))].join(", ")})`,
    );
    f.expect(
      count === answers.length,
      `API Gateway's Count in CloudWatch is ${count}, not the ${answers.length} requests made`,
    );
    f.expect(
      invocations === ok,
      `hello-api's Invocations in CloudWatch is ${invocations}, not the ${ok} it answered`,
    );
    f.lost += answers.length - ok;

    // Saves served: hello-api's by the API's first answer with its text; the others' by their
    // `reloaded` line (their next invocations run the new code: checked above).
    const times = [...served, ...reloads.map((r) => r.ms ?? Number.POSITIVE_INFINITY)];
    const done = times.filter(Number.isFinite);
    const p95 = quantile(done, 0.95);
    const max = Math.max(0, ...done);
    const slowest = reloads.filter((r) => r.ms !== undefined).sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0))[0];
    f.add(
      "saves served (p50 / p95 / max)",
      `${done.length} of ${times.length}: ${quantile(done, 0.5).toFixed(0)} / ${p95.toFixed(0)} / ${max.toFixed(0)} ms`,
    );
    f.add(
      "hello-api's, by answer (max); the others', by reload (slowest)",
      `${Math.max(0, ...served.filter(Number.isFinite)).toFixed(0)} ms; ${slowest ? `${slowest.fn} ${slowest.ms?.toFixed(0)} ms` : "none"}`,
    );
    f.add(
      "each save, in order (ms; * while the infra edit applied)",
      saved
        .map(
          (x) =>
            `${x.fn.split("-")[0]} ${x.ms === undefined ? "never" : x.ms.toFixed(0)}${x.duringApply ? "*" : ""}`,
        )
        .join(", "),
    );
    f.expect(
      done.length === times.length,
      `${times.length - done.length} of ${times.length} saves were never served`,
    );
    f.expect(p95 <= 500, `saves were served at p95 ${p95.toFixed(0)} ms (over 500 ms)`);
    f.expect(max <= 2000, `a save took ${max.toFixed(0)} ms to be served (over 2 s)`);

    // What the person saw meanwhile: no metric lost, the console live, the logs followed.
    const couldNot = dev.printed.split("\n").filter((l) => l.includes("could not write"));
    f.expect(couldNot.length === 0, `pnpm dev said ${couldNot.length} times: ${couldNot[0] ?? ""}`);
    f.expect(
      dev.printed.includes("Memory Size: 192 MB"),
      "no hello-api invocation ran with the edited 192 MB after the infra edit",
    );
    if (page) {
      const listed = await page.$$eval('#invocations tr[data-function="hello-api"]', (trs) => trs.length);
      f.add("console: hello-api invocations listed, page errors", `${listed}, ${pageErrors.length}`);
      f.expect(listed > 0, "the open console lists no hello-api invocation");
      f.expect(pageErrors.length === 0, `the console page threw: ${pageErrors[0] ?? ""}`);
    }
    const gaps = logLines.map((l, i) => (i === 0 ? l.at - started : l.at - (logLines[i - 1]?.at ?? 0)));
    f.add(
      "pnpm logs -f: lines, longest gap",
      `${logLines.length}, ${(Math.max(0, ...gaps) / 1000).toFixed(1)} s`,
    );
    f.expect(
      logLines.length > 0,
      `pnpm logs --follow printed nothing; its stderr: ${logsErr.trim().slice(-400)}`,
    );
    f.expect(Math.max(0, ...gaps) <= 15_000, "pnpm logs --follow went silent for over 15 s under traffic");

    // Flat over the last two minutes (the full run): medians of the window's first and last 30 s.
    const window = samples.filter((s) => s.at >= durationMs - 120_000);
    const head = window.filter((s) => s.at < (window[0]?.at ?? 0) + 30_000);
    const tail = window.filter((s) => s.at >= durationMs - 35_000);
    f.add(
      "pnpm dev RSS, descriptors (every 5 s)",
      `${samples.map((s) => s.rss.toFixed(0)).join(" ")} MB; ${samples.map((s) => s.fds).join(" ")}`,
    );
    if (!ctx.smoke && head.length > 0 && tail.length > 0) {
      const rssGrowth = median(tail.map((s) => s.rss)) - median(head.map((s) => s.rss));
      const fdGrowth = median(tail.map((s) => s.fds)) - median(head.map((s) => s.fds));
      f.expect(rssGrowth <= 40, `RSS grew ${rssGrowth.toFixed(0)} MB over the last two minutes (over 40 MB)`);
      f.expect(fdGrowth <= 3, `file descriptors grew by ${fdGrowth} over the last two minutes`);
    }
    return f.result();
  } finally {
    logs?.kill("SIGTERM");
    await browser?.close();
    await dev.stop();
    repo.remove();
  }
}
