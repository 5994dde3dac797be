import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { UnknownNameError } from "../../../src/names.ts";
import { DeadLetterStore, type InvocationRecord } from "../../../src/runtime/dead-letters.ts";
import { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { readStack } from "../../../src/stack/read-stack.ts";
import { fixtureStack } from "../../helpers.ts";

const STORE_MODULE = fileURLToPath(new URL("../../../src/runtime/dead-letters.ts", import.meta.url));

const record = (n: number): InvocationRecord => ({
  version: "1.0",
  timestamp: new Date().toISOString(),
  requestContext: {
    requestId: `request-${n}`,
    functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:lambdaform-test-async:$LATEST",
    condition: "RetriesExhausted",
    approximateInvokeCount: 3,
  },
  requestPayload: { n },
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  responsePayload: { errorType: "ProbeError", errorMessage: `failed ${n}` },
});

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Runs `count` deliveries to the store in another process. */
function deliverFromAnotherProcess(dir: string, queue: string, from: number, count: number): Promise<void> {
  const script = `
    const { DeadLetterStore } = await import(${JSON.stringify(STORE_MODULE)});
    const store = new DeadLetterStore(${JSON.stringify(dir)});
    for (let i = ${from}; i < ${from + count}; i++) {
      await store.deliver(${JSON.stringify(queue)}, { version: "1.0", requestContext: { requestId: "r" + i,
        functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST" }, requestPayload: { n: i } });
      await new Promise((resolve) => setImmediate(resolve));
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: "inherit",
    });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
  });
}

describe("local dead-letter store", function () {
  this.timeout(60_000);
  const fresh = () => new DeadLetterStore(mkdtempSync(join(tmpdir(), "lf-dlq-")));

  it("keeps every letter that processes deliver at the same time, and a removal takes only its own", async () => {
    // Prepare
    const store = fresh();
    await store.deliver("lambdaform-test-dlq", record(0));
    const [first] = store.list("lambdaform-test-dlq");
    // Act: four writers deliver 40 letters each while this process removes the first one.
    const writers = [0, 1, 2, 3].map((w) =>
      deliverFromAnotherProcess(store.dir, "lambdaform-test-dlq", 1000 * (w + 1), 40),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    store.remove("lambdaform-test-dlq", [first?.id ?? ""]);
    await Promise.all(writers);
    // Assess
    const letters = store.list("lambdaform-test-dlq");
    expect(letters).to.have.length(160);
    expect(letters.map((l) => l.id)).not.to.include(first?.id);
    expect(new Set(letters.map((l) => (l.record.requestPayload as { n: number }).n)).size).to.equal(160);
  });

  it("lists the readable letters and names each file that is not one, instead of failing", async () => {
    // Prepare
    const store = fresh();
    await store.deliver("queue-a", record(1));
    await store.deliver("queue-a", record(2));
    await store.deliver("queue-b", record(3));
    const corrupt = filesUnder(store.dir).find((f) => f.includes("queue-b")) ?? "";
    writeFileSync(corrupt, "{ not json");
    // Act
    const { letters, unreadable } = store.scan();
    // Assess
    expect(letters.map((l) => l.record.requestContext.requestId)).to.deep.equal(["request-1", "request-2"]);
    expect(unreadable).to.have.length(1);
    expect(unreadable[0]?.file).to.equal(corrupt);
    expect(store.list()).to.have.length(2);
  });

  it("lists in delivery order and keeps each letter's queue", async () => {
    const store = fresh();
    for (let n = 0; n < 5; n++) await store.deliver("q", record(n));
    expect(store.list("q").map((l) => l.record.requestContext.requestId)).to.deep.equal([
      "request-0",
      "request-1",
      "request-2",
      "request-3",
      "request-4",
    ]);
    expect(new Set(store.list().map((l) => l.queueName))).to.deep.equal(new Set(["q"]));
  });

  it("still reads a store of the earlier layout (<queue>.json), and moves it to one file per letter on a change", () => {
    // Prepare
    const store = fresh();
    mkdirSync(store.dir, { recursive: true });
    const old = [1, 2].map((n) => ({
      id: `old-${n}`,
      queueName: "q",
      receivedAt: new Date(n).toISOString(),
      record: record(n),
    }));
    writeFileSync(join(store.dir, "q.json"), JSON.stringify(old));
    // Act + Assess
    expect(store.list("q").map((l) => l.id)).to.deep.equal(["old-1", "old-2"]);
    store.remove("q", ["old-1"]);
    expect(store.list("q").map((l) => l.id)).to.deep.equal(["old-2"]);
    expect(readdirSync(store.dir)).to.deep.equal(["q"]);
  });

  it("refuses a queue name that is not an SQS queue's (.., a path)", async () => {
    const store = fresh();
    for (const name of ["..", ".", "../../x", "a/b", ""]) {
      let failed = false;
      await store.deliver(name, record(0)).catch(() => {
        failed = true;
      });
      expect(failed, name).to.equal(true);
      expect(() => store.list(name), name).to.throw("is not an SQS queue name");
    }
  });

  it("redrives only the stack's on-failure queues: another name is an UnknownNameError listing them", async () => {
    const stack = readStack(
      fixtureStack([
        { fixture: "probe", name: "async", async: { retries: 0, queue: "lambdaform-test-async-dlq" } },
      ]),
    );
    const runtime = new LocalRuntime(stack, { dataDir: mkdtempSync(join(tmpdir(), "lf-data-")) });
    try {
      for (const name of ["../../x", "..", "other-queue"]) {
        let error: unknown;
        await runtime.redrive(name).catch((e) => {
          error = e;
        });
        expect(error, name).to.be.instanceOf(UnknownNameError);
        expect((error as Error).message).to.equal(
          `Unknown queue "${name}" in stack ${stack.name}. Valid choices: lambdaform-test-async-dlq.`,
        );
      }
    } finally {
      await runtime.close();
    }
  });

  it("does not redrive a letter whose record came without its payloads (too large): it stays, dropped with the reason", async () => {
    const stack = readStack(
      fixtureStack([
        { fixture: "probe", name: "async", async: { retries: 0, queue: "lambdaform-test-async-dlq" } },
      ]),
    );
    const runtime = new LocalRuntime(stack, { dataDir: mkdtempSync(join(tmpdir(), "lf-data-")) });
    try {
      const { requestPayload: _request, responsePayload: _response, ...bare } = record(7);
      await runtime.deadLetters.deliver("lambdaform-test-async-dlq", bare);
      const [redriven] = await runtime.redrive("lambdaform-test-async-dlq");
      expect(redriven?.outcome.status).to.equal("dropped");
      expect(redriven?.outcome.reason).to.contain("has no requestPayload");
      expect(runtime.deadLetters.list("lambdaform-test-async-dlq")).to.have.length(1);
    } finally {
      await runtime.close();
    }
  });
});
