import { expect } from "chai";
import sinon from "sinon";
import { EnvironmentClock } from "../../../src/runtime/pausable-timer.ts";

// The clock counts the time the function used (ran, or sat idle awaiting I/O), not the time its
// thread could not run on this shared machine.
describe("an environment's clock: a timeout counts the time the function used", () => {
  let clock: sinon.SinonFakeTimers;
  let usedMs: number | undefined;
  const use = { usedMs: () => usedMs, close: () => {} };
  const make = () => new EnvironmentClock(() => 0, use);

  beforeEach(() => {
    clock = sinon.useFakeTimers({
      now: 1_000_000,
      toFake: ["setTimeout", "clearTimeout", "Date", "performance"],
    });
    usedMs = 0;
  });

  afterEach(() => clock.restore());

  it("fires on time when the function used all of its time", () => {
    const env = make();
    let fired = 0;
    env.timer(3000, () => fired++, { movesDeadline: true });
    usedMs = 3000;
    clock.tick(3000);
    expect(fired).to.equal(1);
  });

  it("waits until the function has used its time, and moves the worker's deadline to match", () => {
    // Prepare
    const env = make();
    env.deadline(3000);
    let fired = 0;
    env.timer(3000, () => fired++, { movesDeadline: true });
    // Act: in the first 3 s it could use only 1.2 s (the rest it waited for a core).
    usedMs = 1200;
    clock.tick(3000);
    // Assess: 1.8 s more, and the deadline the worker reads says so.
    expect(fired).to.equal(0);
    expect((env.shared[0] ?? 0) - Date.now()).to.equal(1800);
    usedMs = 2500;
    clock.tick(1800);
    expect(fired).to.equal(0);
    usedMs = 3000;
    clock.tick(500);
    expect(fired).to.equal(1);
  });

  it("never waits over six times its time, so a thread blocked on itself still times out", () => {
    const env = make();
    let fired = 0;
    env.timer(1000, () => fired++, { movesDeadline: true });
    // Used nothing at all (say, Atomics.wait in the handler).
    clock.tick(5_999);
    expect(fired).to.equal(0);
    clock.tick(1_002);
    expect(fired).to.equal(1);
  });

  it("keeps wall time where the thread's time cannot be read (not Linux)", () => {
    usedMs = undefined;
    const env = make();
    let fired = 0;
    env.timer(1000, () => fired++);
    clock.tick(1000);
    expect(fired).to.equal(1);
  });

  it("moves no deadline for a timer that does not own it (the API integration's)", () => {
    const env = make();
    env.deadline(1000);
    const deadline = env.shared[0];
    let fired = 0;
    env.timer(1000, () => fired++);
    usedMs = 500;
    clock.tick(1000);
    expect(fired).to.equal(0);
    expect(env.shared[0]).to.equal(deadline);
  });

  it("still stops for a debugger, and a long pause does not count against the limit", () => {
    const env = make();
    let fired = 0;
    env.timer(1000, () => fired++, { movesDeadline: true });
    usedMs = 400;
    clock.tick(400);
    env.pause();
    clock.tick(60_000);
    env.resume();
    usedMs = 900;
    clock.tick(600);
    expect(fired).to.equal(0);
    usedMs = 1000;
    clock.tick(100);
    expect(fired).to.equal(1);
  });
});
