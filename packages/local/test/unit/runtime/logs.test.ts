import { expect } from "chai";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { LOG_RING_CAPACITY } from "../../../src/runtime/log-ring.ts";
import type { InvocationResult } from "../../../src/runtime/types.ts";
import { fixtureRuntime } from "../../helpers.ts";

/**
 * A function's log lines travel with its result (through memory shared with the environment's
 * thread), not one message per line: they must still reach onLog in order, framed by START, END
 * and REPORT, before the invocation resolves, and survive the environment's death.
 */
describe("function log lines (local Lambda runtime)", function () {
  this.timeout(60_000);
  let runtime: LocalRuntime;
  /** Every line onLog got, with the time it got it. */
  const seen: Array<{ line: string; at: number }> = [];

  before(() => {
    runtime = fixtureRuntime(
      [
        { fixture: "probe", name: "probe", timeoutSeconds: 1 },
        { fixture: "probe", name: "small", memoryMb: 128, timeoutSeconds: 10 },
      ],
      { onLog: (line) => seen.push({ line, at: performance.now() }) },
    );
  });

  after(async () => {
    await runtime.close();
  });

  /** The lines onLog got for one invocation: START to REPORT. */
  const logged = (result: InvocationResult) => {
    const from = seen.findIndex((s) => s.line === `START RequestId: ${result.requestId} Version: $LATEST`);
    const to = seen.findIndex((s) => s.line.startsWith(`REPORT RequestId: ${result.requestId}`));
    return seen.slice(from, to + 1).map((s) => s.line);
  };
  const numbered = (lines: ReadonlyArray<string>) =>
    lines.flatMap((l) => {
      const match = /\tINFO\tline (\d+) x*$/.exec(l);
      return match ? [Number(match[1])] : [];
    });

  it("delivers every line to onLog before the invocation resolves, in order, between START and END", async () => {
    // Act
    const result = await runtime.function("probe").invoke({ action: "burst", count: 50 });
    // Assess
    const lines = logged(result);
    expect(lines).to.deep.equal(result.logs);
    expect(numbered(lines)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(lines.at(-2)).to.equal(`END RequestId: ${result.requestId}`);
  });

  it("keeps order and loses nothing when a burst is many times the shared buffer", async () => {
    // 2,000 lines of 1 KB: about eight times the ring, so the function waits for the host to read it.
    const result = await runtime.function("probe").invoke({ action: "burst", count: 2000, bytes: 1024 });
    expect(numbered(result.logs)).to.deep.equal(Array.from({ length: 2000 }, (_, i) => i));
    expect(numbered(logged(result))).to.deep.equal(Array.from({ length: 2000 }, (_, i) => i));
  });

  it("keeps a line longer than the whole buffer whole", async () => {
    const bytes = 3 * LOG_RING_CAPACITY + 123;
    const result = await runtime.function("probe").invoke({ action: "burst", count: 2, bytes });
    const long = result.logs.filter((l) => /\tINFO\tline \d+ x+$/.test(l));
    expect(long.map((l) => l.length - l.indexOf(" x") - 1)).to.deep.equal([bytes, bytes]);
    expect(numbered(result.logs)).to.deep.equal([0, 1]);
  });

  it("splits a raw write into its lines, and keeps multi-byte characters whole", async () => {
    const result = await runtime
      .function("probe")
      .invoke({ action: "burst", count: 1, write: "first ünïcødé ✓\nsecond 🚀\n\nthird" });
    const raw = result.logs.filter((l) => /^(first|second|third)/.test(l));
    expect(raw).to.deep.equal(["first ünïcødé ✓", "second 🚀", "third"]);
  });

  it("shows a slow invocation's lines while it still runs", async () => {
    const started = performance.now();
    const running = runtime.function("probe").invoke({ action: "burst", count: 1, after: "sleep", ms: 600 });
    const result = await running;
    const line = seen.find((s) => s.at >= started && /\tINFO\tline 0 $/.test(s.line));
    expect(line, "the line reached onLog").not.to.equal(undefined);
    // Read within about the live interval (100 ms), long before the 600 ms invocation ends.
    expect((line?.at ?? 0) - started).to.be.below(450);
    expect(numbered(result.logs)).to.deep.equal([0]);
  });

  for (const [after, extra, errorType] of [
    ["sleep", { ms: 5000 }, "Sandbox.Timedout"],
    ["loop", {}, "Sandbox.Timedout"],
    ["exit", { code: 3 }, "Runtime.ExitError"],
    ["reject-unhandled", {}, "Runtime.UnhandledPromiseRejection"],
  ] as const) {
    it(`reports the lines logged before the environment died: ${after} (${errorType})`, async () => {
      const result = await runtime.function("probe").invoke({ action: "burst", count: 20, after, ...extra });
      expect((result.payload as { errorType: string }).errorType).to.equal(errorType);
      expect(numbered(result.logs)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
      expect(numbered(logged(result))).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
      expect(result.logs.some((l) => /\tINFO\tprobe invoked \d+$/.test(l))).to.equal(true);
    });
  }

  it("reports the lines logged before the environment ran out of memory", async () => {
    const result = await runtime
      .function("small")
      .invoke({ action: "burst", count: 20, after: "alloc", mb: 400 });
    expect(result.payload).to.deep.include({ errorType: "Runtime.OutOfMemory" });
    expect(numbered(result.logs)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });
});
