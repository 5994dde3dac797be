/// <reference lib="dom" />
// The console's two targets, measured in a real browser against a real pnpm dev: its first render
// (the page's `lambdaform:first-render` mark, once the stack's data is in the DOM; a fresh tab each
// time), and how long after an invocation ends it is in the page (the row's seen-at minus ended-at).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDev } from "@lambdaform/local";
import { freePort } from "@lambdaform/moto";
import { CHROMIUM_ARGS, CHROMIUM_HINT, findChromium } from "@lambdaform/testkit";
import { chromium } from "playwright-core";
import { type Stat, stat } from "./stats.ts";

export interface ConsoleBench {
  readonly firstRenderMs: Stat;
  readonly invocationVisibleMs: Stat;
}

export async function benchConsole(
  root: string,
  runs: { loads: number; invocations: number },
  progress: (s: string) => void,
): Promise<ConsoleBench | undefined> {
  const executablePath = findChromium();
  if (!executablePath) {
    const message = `console: chromium is not available: ${CHROMIUM_HINT}`;
    if (process.env.LAMBDAFORM_REQUIRE_TOOLS === "1") throw new Error(message);
    progress(`!!! SKIPPED ${message}`);
    return undefined;
  }
  const dataDir = mkdtempSync(join(tmpdir(), "lf-bench-console-"));
  progress("console: starting pnpm dev");
  const dev = await startDev({
    stage: "dev",
    stackDir: join(root, "packages", "infra", "cdktf.out", "stacks", "lambdaform-dev"),
    dataDir,
    ephemeral: false,
    port: await freePort(),
    iam: "enforce",
    instances: 3,
    progress: () => {},
    functionLog: () => {},
    hooks: { schedules: false },
  });
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  try {
    const base = `${dev.gateway.endpoint}/_lambdaform/`;
    progress(`console: ${runs.loads} first render(s), each in a fresh tab`);
    const renders: number[] = [];
    for (let i = 0; i < runs.loads; i++) {
      const page = await browser.newPage();
      await page.goto(base);
      await page.waitForSelector("dl.facts");
      renders.push(
        await page.evaluate(
          () => performance.getEntriesByName("lambdaform:first-render")[0]?.startTime ?? Number.NaN,
        ),
      );
      await page.close();
    }
    progress(`console: ${runs.invocations} GET /hello, each until its row is in the page`);
    const page = await browser.newPage();
    await page.goto(`${base}#/invocations`);
    await page.waitForSelector("#invocations");
    const lags: number[] = [];
    const rows = '#invocations tr[data-function="hello-api"]';
    for (let i = 0; i < runs.invocations; i++) {
      await fetch(`${dev.gateway.endpoint}/prod/hello`).then((r) => r.arrayBuffer());
      // Rows are newest first: wait for one more, then read the newest.
      const deadline = Date.now() + 10_000;
      while ((await page.$$eval(rows, (found) => found.length)) <= i) {
        if (Date.now() > deadline) throw new Error("console: an invocation did not appear within 10 s");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const row = await page.$(rows);
      lags.push(
        Number(await row?.getAttribute("data-seen-at")) - Number(await row?.getAttribute("data-ended-at")),
      );
    }
    return { firstRenderMs: stat(renders), invocationVisibleMs: stat(lags, true) };
  } finally {
    await browser.close();
    await dev.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
