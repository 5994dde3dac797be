import { expect } from "chai";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { PauseMonitor } from "../../../src/runtime/pause-monitor.ts";
import { fixtureRuntime } from "../../helpers.ts";
import { DebuggerClient } from "../../inspector.ts";

describe("pausing in a debugger (pnpm dev --inspect)", function () {
  this.timeout(30_000);
  let runtime: LocalRuntime;
  let monitor: PauseMonitor;
  let client: DebuggerClient;
  const lines: string[] = [];

  before(() => {
    monitor = new PauseMonitor(undefined, (line) => lines.push(line));
    client = new DebuggerClient();
    runtime = fixtureRuntime([{ fixture: "probe", name: "probe", timeoutSeconds: 1 }], { pauses: monitor });
  });

  after(async () => {
    await runtime.close();
    client.close();
    monitor.close();
  });

  it("stops the function's timeout while the debugger holds it paused, longer than the timeout, and goes on after", async () => {
    // Act: the function stops at `debugger;`; the debugger holds it 1.5 s, past its 1 s timeout.
    const fn = runtime.function("probe");
    const invocation = fn.invoke({ action: "debugger" });
    const { sessionId } = await client.nextPause();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await client.resume(sessionId);
    const result = await invocation;
    // Assess: no Sandbox.Timedout; the time left the function sees did not count the pause.
    expect(result.functionError).to.equal(undefined);
    expect((result.payload as { remaining: number }).remaining).to.be.above(0);
    expect(lines.some((l) => l.includes("paused in the debugger"))).to.equal(true);
  });

  it("keeps the timeout for a function that is not paused", async () => {
    const result = await runtime.function("probe").invoke({ action: "sleep", ms: 1500 });
    expect((result.payload as { errorType: string }).errorType).to.equal("Sandbox.Timedout");
  });
});
