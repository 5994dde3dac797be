import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ThrottledError } from "../../../src/runtime/function-runtime.ts";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import type { InvocationResult } from "../../../src/runtime/types.ts";
import { closeProbeRuntime, fixtureRuntime, probe, probeRuntime } from "../../helpers.ts";

describe("function runtime: async invocations, concurrency, shutdown (local Lambda runtime)", function () {
  this.timeout(60_000);
  let runtime: LocalRuntime;

  before(() => {
    runtime = probeRuntime();
  });

  after(async () => {
    await closeProbeRuntime(runtime);
  });

  describe("asynchronous invocations", () => {
    it("retries a failing event as configured, then sends it with its error and attempt count to the DLQ", async () => {
      // Act
      const { requestId, completion } = runtime
        .function("async")
        .invokeAsync({ action: "throw", message: "always" });
      const outcome = await completion;
      // Assess
      expect(outcome.status).to.equal("failed");
      expect(outcome.attempts).to.equal(3);
      expect(new Set(outcome.results.map((r) => r.requestId))).to.deep.equal(new Set([requestId]));
      const [letter] = runtime.deadLetters.list("lambdaform-test-async-dlq");
      expect(letter?.record).to.deep.include({
        version: "1.0",
        requestPayload: { action: "throw", message: "always" },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      });
      expect(letter?.record.requestContext).to.deep.equal({
        requestId,
        functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:lambdaform-test-async:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      });
      expect(letter?.record.responsePayload).to.deep.include({
        errorType: "ProbeError",
        errorMessage: "always",
      });
    });

    it("uses Lambda's default of 2 retries when Terraform configures none", async () => {
      const outcome = await runtime.function("default-async").invokeAsync({ action: "throw" }).completion;
      expect(outcome.attempts).to.equal(3);
      expect(outcome.deadLetter).to.equal(undefined);
    });

    it("redrives a dead letter: once the cause is gone it succeeds and leaves the store", async () => {
      // Prepare
      const marker = join(mkdtempSync(join(tmpdir(), "lf-marker-")), "broken");
      writeFileSync(marker, "");
      const queue = "lambdaform-test-async-dlq";
      const before = runtime.deadLetters.list(queue).length;
      await runtime.function("async").invokeAsync({ action: "fail-if-file", path: marker }).completion;
      const stored = runtime.deadLetters.list(queue);
      expect(stored).to.have.length(before + 1);
      const id = stored.at(-1)?.id ?? "";
      rmSync(marker);
      // Act
      const [redriven] = await runtime.redrive(queue, [id]);
      // Assess
      expect(redriven?.outcome.status).to.equal("succeeded");
      expect(runtime.deadLetters.list(queue).map((l) => l.id)).not.to.include(id);
    });

    it("runs parallel events in separate execution environments", async () => {
      const runs = [1, 2, 3].map(
        () => runtime.function("async").invokeAsync({ action: "sleep", ms: 300 }).completion,
      );
      const outcomes = await Promise.all(runs);
      const streams = outcomes.map((o) => probe(o.results[0] as InvocationResult).context.logStreamName);
      expect(new Set(streams).size).to.equal(3);
    });
  });

  describe("concurrency", () => {
    it("throttles beyond reserved concurrency (429 TooManyRequestsException)", async () => {
      const fn = runtime.function("reserved");
      const slow = fn.invoke({ action: "sleep", ms: 500 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const error = await fn.invoke({}).catch((e: Error) => e);
      expect(error).to.be.instanceOf(ThrottledError);
      expect((error as Error).name).to.equal("TooManyRequestsException");
      expect((await slow).functionError).to.equal(undefined);
    });

    it("inits at most maxStarting environments at once: a burst waits for the first free one, warm or new", async () => {
      // Prepare: a runtime of its own, two inits at once, code whose init takes 300 ms.
      const own = fixtureRuntime([{ fixture: "probe", name: "burst" }], { maxStarting: 2 });
      try {
        const fn = own.function("burst");
        const dir = mkdtempSync(join(tmpdir(), "lf-code-"));
        writeFileSync(
          join(dir, "index.mjs"),
          "await new Promise((r) => setTimeout(r, 300));\nexport const handler = async () => ({ ok: true });",
        );
        fn.reload(dir);
        // Act: ten invocations at once.
        const results = await Promise.all(Array.from({ length: 10 }, () => fn.invoke({})));
        // Assess: all served; by a few environments, started two at a time (ten inits side by
        // side without the bound). A waiter woken by a finished init starts another if none is
        // free (long invocations still scale out), so a few more than two.
        expect(results.every((r) => (r.payload as { ok?: boolean }).ok === true)).to.equal(true);
        expect(results.filter((r) => r.coldStart).length).to.be.within(2, 4);
        expect(fn.environments).to.be.within(2, 4);
      } finally {
        await own.close();
      }
    });

    it("still throttles a burst beyond reserved concurrency while inits are bounded", async () => {
      const own = fixtureRuntime([{ fixture: "probe", name: "tight", reservedConcurrency: 3 }], {
        maxStarting: 1,
      });
      try {
        const outcomes = await Promise.all(
          Array.from({ length: 6 }, () =>
            own
              .function("tight")
              .invoke({ action: "sleep", ms: 300 })
              .then(() => "served")
              .catch((e: Error) => e.name),
          ),
        );
        expect(outcomes.filter((o) => o === "served").length).to.equal(3);
        expect(outcomes.filter((o) => o === "TooManyRequestsException").length).to.equal(3);
      } finally {
        await own.close();
      }
    });

    it("makes throttled asynchronous events wait instead of failing", async () => {
      const fn = runtime.function("reserved");
      const outcomes = await Promise.all(
        [1, 2].map(() => fn.invokeAsync({ action: "sleep", ms: 100 }).completion),
      );
      expect(outcomes.map((o) => o.status)).to.deep.equal(["succeeded", "succeeded"]);
      expect(fn.environments).to.be.at.most(1);
    });
  });

  describe("shutdown", () => {
    it("ends queued retries as abandoned when closed, instead of crashing or running them", async () => {
      // Prepare: a failing event whose retry waits 1 s.
      const closing = fixtureRuntime(
        [{ fixture: "probe", name: "async", async: { retries: 2, queue: "lambdaform-test-async-dlq" } }],
        { retryDelayMs: () => 1000 },
      );
      const { completion } = closing.function("async").invokeAsync({ action: "throw" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Act
      const closed = performance.now();
      await closing.close();
      const outcome = await completion;
      // Assess
      expect(outcome).to.deep.include({ status: "abandoned", attempts: 1 });
      expect(outcome.deadLetter).to.equal(undefined);
      expect(performance.now() - closed).to.be.below(3000);
    });
  });

  describe("code reload (hot reload)", () => {
    /** A task root whose handler answers which code it is. */
    const code = (version: number) => {
      const dir = mkdtempSync(join(tmpdir(), "lf-code-"));
      writeFileSync(
        join(dir, "index.mjs"),
        `export const handler = async (event) => { if (event.ms) await new Promise((r) => setTimeout(r, event.ms)); return { version: ${version} }; };`,
      );
      return dir;
    };

    it("serves every invocation that starts after a reload from the new code; one in flight finishes on the old", async () => {
      // Prepare
      const fn = runtime.function("default-async");
      fn.reload(code(1));
      expect((await fn.invoke({})).payload).to.deep.equal({ version: 1 });
      const inFlight = fn.invoke({ ms: 300 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Act
      fn.reload(code(2));
      const after = await Promise.all([fn.invoke({}), fn.invoke({})]);
      // Assess
      expect(after.map((r) => r.payload)).to.deep.equal([{ version: 2 }, { version: 2 }]);
      expect(after.every((r) => r.coldStart)).to.equal(true);
      expect((await inFlight).payload).to.deep.equal({ version: 1 });
      // The old code's environment ended with its invocation: only new-code environments remain.
      expect(fn.environments).to.equal(2);
      expect((await fn.invoke({})).coldStart).to.equal(false);
    });

    it("never hands an environment that was starting during a reload to a new invocation", async () => {
      const fn = runtime.function("default-async");
      fn.reload(code(3));
      const starting = fn.invoke({});
      fn.reload(code(4));
      const next = await fn.invoke({});
      expect(next.payload).to.deep.equal({ version: 4 });
      expect((await starting).payload).to.deep.equal({ version: 4 });
    });

    /** A task root whose init takes `initMs` (top-level await) and whose handler says which code it is. */
    const slowInit = (version: number, initMs: number, body = "") => {
      const dir = mkdtempSync(join(tmpdir(), "lf-code-"));
      writeFileSync(
        join(dir, "index.mjs"),
        `await new Promise((r) => setTimeout(r, ${initMs}));${body}\nexport const handler = async () => ({ version: ${version} });`,
      );
      return dir;
    };

    it("with whenWarm, keeps serving the current code from its warm environment until one of the new code is initialized, then swaps", async () => {
      // Prepare: code 5 warm in one environment.
      const fn = runtime.function("default-async");
      fn.reload(code(5));
      await fn.invoke({});
      const before = fn.environments;
      // Act: stage code 6 (0.8 s of init) while invocations keep coming, 20 at a time.
      let swapped = false;
      const staged = fn.reload(slowInit(6, 800), { whenWarm: true }).then(() => {
        swapped = true;
      });
      // Each invocation with whether it ended before the swap.
      const during: Array<{ result: InvocationResult; beforeSwap: boolean }> = [];
      while (!swapped) {
        const batch = Array.from({ length: 20 }, () =>
          fn.invoke({}).then((result) => ({ result, beforeSwap: !swapped })),
        );
        during.push(...(await Promise.all(batch)));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await staged;
      const after = await fn.invoke({});
      // Assess: the invocations meanwhile ran the current code warm, and started no environment
      // of the new code each (the herd that made every save wait for ten inits at once).
      const before6 = during.filter((d) => d.beforeSwap).map((d) => d.result);
      expect(before6.length).to.be.above(20);
      expect(new Set(before6.map((r) => JSON.stringify(r.payload)))).to.deep.equal(
        new Set([JSON.stringify({ version: 5 })]),
      );
      expect(after.payload).to.deep.equal({ version: 6 });
      // No herd: the batches meanwhile started at most maxStarting (the cores) environments more.
      expect(fn.environments).to.be.at.most(before + availableParallelism() + 1);
      // One invocation of code 6 got the environment initialized ahead: a cold start that reports
      // its init (0.8 s) without having waited for it.
      const ahead = [...during.map((d) => d.result), after].filter(
        (r) =>
          (r.payload as { version?: number }).version === 6 && r.coldStart && (r.initDurationMs ?? 0) >= 700,
      );
      expect(ahead.length).to.be.at.least(1);
      expect(Math.min(...ahead.map((r) => r.durationMs))).to.be.below(500);
    });

    it("with whenWarm, swaps in code whose init fails, and its invocations report the error", async () => {
      const fn = runtime.function("default-async");
      fn.reload(code(7));
      await fn.invoke({});
      await fn.reload(slowInit(8, 10, 'throw new Error("broken at init");'), { whenWarm: true });
      const result = await fn.invoke({});
      expect(result.functionError).to.equal("Unhandled");
      expect(JSON.stringify(result.payload)).to.include("broken at init");
    });

    it("with whenWarm, a later save supersedes one still initializing: the newest code serves", async () => {
      const fn = runtime.function("default-async");
      fn.reload(code(9));
      await fn.invoke({});
      const slow = fn.reload(slowInit(10, 1000), { whenWarm: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await fn.reload(slowInit(11, 50), { whenWarm: true });
      expect((await fn.invoke({})).payload).to.deep.equal({ version: 11 });
      await slow;
      expect((await fn.invoke({})).payload).to.deep.equal({ version: 11 });
    });

    /** Hot builds as pnpm dev's bundler lays them out: `<n>/index.mjs` and `<n>/vendor` → `../vendor-<key>`. */
    const builds = mkdtempSync(join(tmpdir(), "lf-hot-builds-"));
    /** Vendor files whose import takes `ms` of CPU (as the AWS SDK's does), counting their evaluations. */
    const vendor = (key: string, ms: number) => {
      mkdirSync(join(builds, `vendor-${key}`));
      writeFileSync(
        join(builds, `vendor-${key}`, "heavy.mjs"),
        `const until = Date.now() + ${ms}; while (Date.now() < until);\n` +
          "globalThis.loads = (globalThis.loads ?? 0) + 1;\nexport const loads = () => globalThis.loads;\n",
      );
    };
    const hotBuild = (n: number, key: string) => {
      const dir = join(builds, String(n));
      mkdirSync(dir);
      symlinkSync(`../vendor-${key}`, join(dir, "vendor"), "dir");
      writeFileSync(
        join(dir, "index.mjs"),
        `import { loads } from "./vendor/heavy.mjs";\n` +
          `export const handler = async () => ({ build: ${n}, loads: loads(), taskRoot: process.env.LAMBDA_TASK_ROOT });`,
      );
      return dir;
    };
    after(() => rmSync(builds, { recursive: true, force: true }));

    it("with whenWarm, inits a save that links the same vendor files in a spare environment that imported them ahead", async () => {
      // Prepare: build 1 is in; the spare for the next build imports its 400 ms of vendor files.
      vendor("a", 400);
      const fn = runtime.function("default-async");
      await fn.reload(hotBuild(1, "a"), { whenWarm: true });
      expect((await fn.invoke({})).payload).to.include({ build: 1, loads: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Act: the next save, same vendor files.
      const saved = performance.now();
      await fn.reload(hotBuild(2, "a"), { whenWarm: true });
      const reloadMs = performance.now() - saved;
      const first = await fn.invoke({});
      // Assess: only its own module ran after the save; the vendor module was evaluated once in
      // that environment, and the code sees its own task root. Its Init Duration counts the import
      // done ahead, as Lambda's would have.
      expect(reloadMs).to.be.below(250);
      expect(first.payload).to.deep.equal({ build: 2, loads: 1, taskRoot: join(builds, "2") });
      expect(first.coldStart).to.equal(true);
      expect(first.initDurationMs ?? 0).to.be.at.least(400);
    });

    /** Vendor files that, while `marker` exists, fail as given: at import, or later (a heap runaway). */
    const failingVendor = (key: string, marker: string, how: "at import" | "later") => {
      mkdirSync(join(builds, `vendor-${key}`));
      const failure =
        how === "at import"
          ? 'throw new Error("broken at import");'
          : "setTimeout(() => { const hog = []; for (;;) hog.push(new Array(1e6).fill(1)); }, 100);";
      writeFileSync(
        join(builds, `vendor-${key}`, "heavy.mjs"),
        `import { existsSync } from "node:fs";\nif (existsSync(${JSON.stringify(marker)})) { ${failure} }\n` +
          "globalThis.loads = (globalThis.loads ?? 0) + 1;\nexport const loads = () => globalThis.loads;\n",
      );
    };

    it("starts a save the usual way when its spare died after importing (its heap limit reached while it waited), and the host lives on", async () => {
      // Prepare: build 4's spare (for build 5) imports vendor files that run away with memory 0.1 s
      // later, while it waits; build 4's own environment does the same, as it may.
      const marker = join(builds, "run-away");
      writeFileSync(marker, "");
      failingVendor("c", marker, "later");
      const fn = runtime.function("default-async");
      await fn.reload(hotBuild(4, "c"), { whenWarm: true });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      rmSync(marker);
      // Act
      const saved = performance.now();
      await fn.reload(hotBuild(5, "c"), { whenWarm: true });
      // Assess: no wait for a dead spare (the 10 s init timeout), and build 5 serves.
      expect(performance.now() - saved).to.be.below(2000);
      expect((await fn.invoke({})).payload).to.deep.equal({
        build: 5,
        loads: 1,
        taskRoot: join(builds, "5"),
      });
    });

    it("starts a save the usual way when its spare could not import its vendor files", async () => {
      const marker = join(builds, "broken");
      writeFileSync(marker, "");
      failingVendor("d", marker, "at import");
      const fn = runtime.function("default-async");
      await fn.reload(hotBuild(6, "d"), { whenWarm: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
      rmSync(marker);
      const saved = performance.now();
      await fn.reload(hotBuild(7, "d"), { whenWarm: true });
      expect(performance.now() - saved).to.be.below(2000);
      expect((await fn.invoke({})).payload).to.deep.equal({
        build: 7,
        loads: 1,
        taskRoot: join(builds, "7"),
      });
    });

    it("with whenWarm, inits a save that links other vendor files the usual way, and runs it", async () => {
      vendor("b", 300);
      const fn = runtime.function("default-async");
      const saved = performance.now();
      await fn.reload(hotBuild(3, "b"), { whenWarm: true });
      expect(performance.now() - saved).to.be.at.least(300);
      expect((await fn.invoke({})).payload).to.deep.equal({
        build: 3,
        loads: 1,
        taskRoot: join(builds, "3"),
      });
    });
  });
});
