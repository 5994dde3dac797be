import { expect } from "chai";
import sinon from "sinon";
import { EnvironmentClock } from "../../../src/runtime/pausable-timer.ts";

describe("an environment's clock: the time its thread waited for a CPU is given back", () => {
  let clock: sinon.SinonFakeTimers;
  let waitedMs: number;
  const cpuWait = { ms: () => waitedMs, close: () => {} };

  beforeEach(() => {
    clock = sinon.useFakeTimers({
      now: 1_000_000,
      toFake: ["setTimeout", "clearTimeout", "Date", "performance"],
    });
    waitedMs = 0;
  });

  afterEach(() => clock.restore());

  it("fires a timeout on time when the thread never waited", () => {
    // Prepare
    const env = new EnvironmentClock(cpuWait);
    let fired = 0;
    env.timer(3000, () => fired++, { movesDeadline: true });
    // Act
    clock.tick(3000);
    // Assess
    expect(fired).to.equal(1);
  });

  it("waits as long again as the thread stood in the run queue, and moves the worker's deadline by it", () => {
    // Prepare
    const env = new EnvironmentClock(cpuWait);
    env.deadline(3000);
    const deadline = env.shared[0] ?? 0;
    let fired = 0;
    env.timer(3000, () => fired++, { movesDeadline: true });
    // Act: 1.2 s of the 3 s were spent waiting for a core, then 0.5 s more during the extra time.
    waitedMs = 1200;
    clock.tick(3000);
    expect(fired).to.equal(0);
    waitedMs = 1700;
    clock.tick(1200);
    expect(fired).to.equal(0);
    clock.tick(500);
    // Assess
    expect(fired).to.equal(1);
    expect((env.shared[0] ?? 0) - deadline).to.equal(1700);
  });

  it("gives nothing back for a wait under 2 ms, and moves no deadline for a timer that does not own it", () => {
    const env = new EnvironmentClock(cpuWait);
    env.deadline(1000);
    const deadline = env.shared[0] ?? 0;
    let fired = 0;
    env.timer(1000, () => fired++);
    waitedMs = 500;
    clock.tick(1000);
    clock.tick(499);
    expect(fired).to.equal(0);
    waitedMs = 501;
    clock.tick(1);
    expect(fired).to.equal(1);
    expect(env.shared[0]).to.equal(deadline);
  });

  it("still stops for a debugger: a pause and the time given back add up", () => {
    const env = new EnvironmentClock(cpuWait);
    let fired = 0;
    env.timer(1000, () => fired++, { movesDeadline: true });
    clock.tick(400);
    env.pause();
    clock.tick(10_000);
    env.resume();
    waitedMs = 100;
    clock.tick(600);
    expect(fired).to.equal(0);
    clock.tick(100);
    expect(fired).to.equal(1);
  });
});
