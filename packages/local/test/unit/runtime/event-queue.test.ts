import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { EventQueue } from "../../../src/runtime/event-queue.ts";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { fixtureRuntime } from "../../helpers.ts";

const newQueue = () => new EventQueue(mkdtempSync(join(tmpdir(), "lf-queue-")));
const files = (queue: EventQueue) => readdirSync(queue.dir).sort();

describe("durable event queue (async events survive a kill of pnpm dev)", function () {
  this.timeout(30_000);
  const runtimes: LocalRuntime[] = [];
  const runtimeOn = (queue: EventQueue, retryDelayMs = 20) => {
    const runtime = fixtureRuntime(
      [{ fixture: "probe", name: "async", async: { retries: 1, queue: "lambdaform-test-async-dlq" } }],
      { queue, retryDelayMs: () => retryDelayMs },
    );
    runtimes.push(runtime);
    return runtime;
  };

  after(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
  });

  it("has an accepted event on disk before invokeAsync returns, and removes it once it succeeded", async () => {
    const queue = newQueue();
    const { requestId, completion } = runtimeOn(queue).function("async").invokeAsync({ action: "echo" });
    expect(files(queue)).to.deep.equal([`${requestId}.json`]);
    expect((await completion).status).to.equal("succeeded");
    expect(files(queue)).to.deep.equal([]);
    expect(queue.running).to.equal(0);
  });

  it("removes an event that failed into its on-failure destination", async () => {
    const queue = newQueue();
    const { completion } = runtimeOn(queue).function("async").invokeAsync({ action: "throw" });
    const outcome = await completion;
    expect(outcome.status).to.equal("failed");
    expect(outcome.attempts).to.equal(2);
    expect(files(queue)).to.deep.equal([]);
  });

  it("keeps an event its runtime abandoned on close, and a new runtime resumes it under its request id", async () => {
    const queue = newQueue();
    const first = runtimeOn(queue, 1_500);
    // Fails once, so it waits for its retry when the runtime closes.
    const marker = join(queue.dir, "..", `fail-${Date.now()}`);
    writeFileSync(marker, "");
    const { requestId, completion } = first
      .function("async")
      .invokeAsync({ action: "fail-if-file", path: marker });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.close();
    expect((await completion).status).to.equal("abandoned");
    expect(files(queue)).to.deep.equal([`${requestId}.json`]);
    // As after a restart: the cause is gone and another runtime picks the event up.
    rmSync(marker);
    const second = runtimeOn(queue);
    const resumed = second.resumeQueued();
    expect(resumed).to.deep.equal({ resumed: 1, kept: 0, unreadable: [] });
    await second.function("async").drain();
    expect(files(queue)).to.deep.equal([]);
  });

  it("leaves the events a runtime runs to it: resuming twice in one process runs nothing twice", () => {
    const queue = newQueue();
    queue.accept({ functionName: "lambdaform-test-async", requestId: "abc-1", event: {}, acceptedAt: 1 });
    expect(queue.pending().events.map((e) => e.requestId)).to.deep.equal([]);
    queue.release("abc-1");
    expect(queue.pending().events.map((e) => e.requestId)).to.deep.equal(["abc-1"]);
  });

  it("drops a write a kill cut before its rename, names an unreadable file and keeps it, keeps another stack's events", () => {
    const queue = newQueue();
    writeFileSync(join(queue.dir, "dead-1.json.123.tmp"), '{"functionName":');
    writeFileSync(join(queue.dir, "bad-1.json"), "not json");
    writeFileSync(
      join(queue.dir, "other-1.json"),
      JSON.stringify({ functionName: "gone-fn", requestId: "other-1", event: {}, acceptedAt: 5 }),
    );
    const { events, unreadable } = queue.pending();
    expect(existsSync(join(queue.dir, "dead-1.json.123.tmp"))).to.equal(false);
    expect(unreadable.map((u) => u.file)).to.deep.equal([join(queue.dir, "bad-1.json")]);
    expect(events.map((e) => e.requestId)).to.deep.equal(["other-1"]);
    const runtime = runtimeOn(queue);
    expect(runtime.resumeQueued()).to.include({ resumed: 0, kept: 1 });
    expect(existsSync(join(queue.dir, "other-1.json"))).to.equal(true);
  });

  it("refuses a request id that cannot name a file", () => {
    expect(() =>
      newQueue().accept({ functionName: "f", requestId: "../x", event: {}, acceptedAt: 0 }),
    ).to.throw(/cannot name a file/);
  });
});
