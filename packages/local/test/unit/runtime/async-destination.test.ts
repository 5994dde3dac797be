import { expect } from "chai";
import type { FailureDestination, InvocationRecord } from "../../../src/runtime/dead-letters.ts";
import { MAX_ASYNC_EVENT_BYTES, RequestTooLargeError } from "../../../src/runtime/function-runtime.ts";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import type { RuntimeEvent } from "../../../src/runtime/types.ts";
import { fixtureRuntime } from "../../helpers.ts";

/** A destination that refuses every record, as SQS does when the role lacks sqs:SendMessage. */
class RefusingDestination implements FailureDestination {
  attempts = 0;
  async deliver(): Promise<void> {
    this.attempts += 1;
    const error = new Error(
      "User is not authorized to perform: sqs:SendMessage on resource: lambdaform-test-dlq",
    );
    error.name = "AccessDenied";
    throw error;
  }
}

/** A destination that keeps what it gets, with a small maximum message size. */
class SmallQueue implements FailureDestination {
  readonly records: InvocationRecord[] = [];
  constructor(private readonly limit: number) {}
  async deliver(_queue: string, record: InvocationRecord): Promise<void> {
    this.records.push(record);
  }
  async maxRecordBytes(): Promise<number> {
    return this.limit;
  }
}

describe("asynchronous invocations whose on-failure destination fails (local Lambda runtime)", function () {
  this.timeout(60_000);
  let runtime: LocalRuntime | undefined;
  const events: RuntimeEvent[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const start = (destination: FailureDestination) => {
    events.length = 0;
    runtime = fixtureRuntime(
      [{ fixture: "probe", name: "async", async: { retries: 1, queue: "lambdaform-test-dlq" } }],
      {
        destination,
        onEvent: (event) => events.push(event),
      },
    );
    return runtime.function("async");
  };
  const metrics = () => events.flatMap((e) => (e.type === "metric" ? [e.metric] : [])).sort();

  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
  });

  afterEach(async () => {
    process.off("unhandledRejection", onUnhandled);
    await runtime?.close();
    runtime = undefined;
  });

  it("resolves a refused delivery as dropped with the reason, logs it and counts it, never rejecting", async () => {
    // Prepare
    const destination = new RefusingDestination();
    const fn = start(destination);
    // Act
    const { requestId, completion } = fn.invokeAsync({ action: "throw", message: "always" });
    const outcome = await completion;
    // Assess
    expect(outcome.status).to.equal("dropped");
    expect(outcome.attempts).to.equal(2);
    expect(outcome.deadLetter).to.equal(undefined);
    expect(outcome.reason).to.contain("on-failure destination lambdaform-test-dlq");
    expect(outcome.reason).to.contain("AccessDenied: User is not authorized to perform: sqs:SendMessage");
    expect(destination.attempts).to.equal(1);
    const notice = events.find((e) => e.type === "notice");
    expect(notice).to.deep.include({
      type: "notice",
      level: "error",
      code: "DestinationDeliveryFailed",
      functionName: "lambdaform-test-async",
      requestId,
      queueName: "lambdaform-test-dlq",
    });
    // Lambda's metrics: the async counts once, and for each of the two attempts its event's age,
    // the concurrency, the invocation, its error and its duration.
    expect(metrics()).to.deep.equal([
      "AsyncEventAge",
      "AsyncEventAge",
      "AsyncEventsDropped",
      "AsyncEventsReceived",
      "ConcurrentExecutions",
      "ConcurrentExecutions",
      "DestinationDeliveryFailures",
      "Duration",
      "Duration",
      "Errors",
      "Errors",
      "Invocations",
      "Invocations",
    ]);
    const values = (name: string) =>
      events.flatMap((e) => (e.type === "metric" && e.metric === name ? [e.value] : []));
    expect(values("Errors")).to.deep.equal([1, 1]);
    expect(values("ConcurrentExecutions")).to.deep.equal([1, 1]);
    expect(fn.metrics).to.deep.equal({
      AsyncEventsReceived: 1,
      AsyncEventsDropped: 1,
      DestinationDeliveryFailures: 1,
    });
  });

  it("leaves no unhandled rejection when the caller ignores completion (as the S3 notifier does)", async () => {
    const fn = start(new RefusingDestination());
    fn.invokeAsync({ action: "throw" });
    await runtime?.drain();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).to.deep.equal([]);
    expect(runtime?.metrics()["lambdaform-test-async"]?.DestinationDeliveryFailures).to.equal(1);
  });

  it("counts a failed event AsyncEventsDropped also when its record is delivered, and a success not at all", async () => {
    const fn = start(new SmallQueue(1_048_576));
    expect((await fn.invokeAsync({ action: "throw" }).completion).status).to.equal("failed");
    expect((await fn.invokeAsync({}).completion).status).to.equal("succeeded");
    expect(fn.metrics).to.deep.equal({
      AsyncEventsReceived: 2,
      AsyncEventsDropped: 1,
      DestinationDeliveryFailures: 0,
    });
  });

  it("sends a record over the queue's maximum message size without its payloads, as Lambda does, and says so", async () => {
    // Prepare: a 40 KB event in a queue that takes 16 KB.
    const queue = new SmallQueue(16 * 1024);
    const fn = start(queue);
    // Act
    const outcome = await fn.invokeAsync({ action: "throw", message: "x".repeat(40_000) }).completion;
    // Assess
    expect(outcome.status).to.equal("failed");
    expect(outcome.deadLetter?.payloadsDropped).to.equal(true);
    const [record] = queue.records;
    expect(record).to.not.have.property("requestPayload");
    expect(record).to.not.have.property("responsePayload");
    expect(record?.requestContext.condition).to.equal("RetriesExhausted");
    expect(events.find((e) => e.type === "notice")).to.deep.include({
      level: "warn",
      code: "RecordPayloadDropped",
    });
  });

  it("drops, with the reason, a record that does not fit the queue even without its payloads", async () => {
    const queue = new SmallQueue(100);
    const outcome = await start(queue).invokeAsync({ action: "throw" }).completion;
    expect(outcome.status).to.equal("dropped");
    expect(outcome.reason).to.contain("larger than the queue's maximum message size (100 bytes)");
    expect(queue.records).to.deep.equal([]);
  });

  it("refuses to queue an event over 1 MB (RequestEntityTooLargeException), as Lambda does", () => {
    const fn = start(new SmallQueue(1_048_576));
    expect(() => fn.invokeAsync({ blob: "x".repeat(MAX_ASYNC_EVENT_BYTES) }))
      .to.throw(RequestTooLargeError)
      .with.property(
        "message",
        "Request must be smaller than 1048576 bytes for the InvokeFunction operation",
      );
    expect(fn.metrics.AsyncEventsReceived).to.equal(0);
  });
});
