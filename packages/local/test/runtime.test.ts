import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { heapLimits } from "../src/runtime/environment.ts";
import { ThrottledError } from "../src/runtime/function-runtime.ts";
import type { LocalRuntime } from "../src/runtime/local-runtime.ts";
import type { InvocationResult } from "../src/runtime/types.ts";
import { fixtureRuntime } from "./helpers.ts";

type ProbeResult = {
  invocations: number;
  loadedAt: number;
  remaining: number;
  heapLimitMb: number;
  context: Record<string, string>;
  env: Record<string, string | undefined>;
};
const probe = (result: InvocationResult) => result.payload as ProbeResult;
const report = (result: InvocationResult) => result.logs.find((l) => l.startsWith("REPORT")) ?? "";

describe("local Lambda runtime", function () {
  this.timeout(60_000);
  let runtime: LocalRuntime;

  before(() => {
    process.env.HOST_ONLY_SECRET = "must-not-leak";
    runtime = fixtureRuntime(
      [
        { fixture: "probe", name: "probe", timeoutSeconds: 1, environment: { GREETING: "hi" } },
        { fixture: "probe", name: "small", memoryMb: 128, timeoutSeconds: 10 },
        { fixture: "probe", name: "async", async: { retries: 2, queue: "lambdaform-test-async-dlq" } },
        { fixture: "probe", name: "default-async" },
        { fixture: "probe", name: "reserved", reservedConcurrency: 1, timeoutSeconds: 5 },
        { fixture: "broken-init", name: "broken" },
      ],
      { extraEnv: { AWS_ENDPOINT_URL: "http://127.0.0.1:4566" } },
    );
  });

  after(async () => {
    delete process.env.HOST_ONLY_SECRET;
    await runtime.close();
  });

  describe("warm and cold", () => {
    it("keeps module scope warm between invocations: only the first is a cold start", async () => {
      // Act
      const first = await runtime.function("probe").invoke({});
      const second = await runtime.function("probe").invoke({});
      // Assess
      expect(probe(first).invocations).to.equal(1);
      expect(probe(second).invocations).to.equal(2);
      expect(probe(second).loadedAt).to.equal(probe(first).loadedAt);
      expect(first.coldStart).to.equal(true);
      expect(second.coldStart).to.equal(false);
      expect(report(first)).to.match(/\tInit Duration: \d+\.\d{2} ms/);
      expect(report(second)).not.to.contain("Init Duration");
    });

    it("logs START, the function's lines, END and REPORT with Lambda's fields", async () => {
      const result = await runtime.function("probe").invoke({});
      const [start, ...rest] = result.logs;
      expect(start).to.equal(`START RequestId: ${result.requestId} Version: $LATEST`);
      expect(
        rest.some((l) => /^\d{4}-\d\d-\d\dT[^\t]+\t[0-9a-f-]{36}\tINFO\tprobe invoked \d+$/.test(l)),
      ).to.equal(true);
      expect(rest.at(-2)).to.equal(`END RequestId: ${result.requestId}`);
      expect(report(result)).to.match(
        new RegExp(
          `^REPORT RequestId: ${result.requestId}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB$`,
        ),
      );
    });
  });

  describe("context and environment", () => {
    it("gives each invocation a full context with a unique request id", async () => {
      const a = probe(await runtime.function("probe").invoke({}));
      const b = probe(await runtime.function("probe").invoke({}));
      expect(a.context.awsRequestId).not.to.equal(b.context.awsRequestId);
      expect(a.context).to.deep.include({
        functionName: "lambdaform-test-probe",
        functionVersion: "$LATEST",
        invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:lambdaform-test-probe",
        memoryLimitInMB: "128",
        logGroupName: "/aws/lambda/lambdaform-test-probe",
      });
      expect(a.context.logStreamName).to.match(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
      expect(a.remaining).to.be.within(1, 1000);
    });

    it("sets the deployed variables, Lambda's own and the endpoint, and nothing of the host's", async () => {
      const { env } = probe(await runtime.function("probe").invoke({}));
      expect(env).to.deep.include({
        AWS_LAMBDA_FUNCTION_NAME: "lambdaform-test-probe",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
        AWS_REGION: "eu-west-1",
        AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
        GREETING: "hi",
      });
      expect(env.HOST_ONLY_SECRET).to.equal(undefined);
      expect(env.LAMBDA_TASK_ROOT).to.match(/functions\/lambdaform-test-probe\//);
    });
  });

  describe("limits and failures", () => {
    it("enforces the timeout, then starts a fresh environment", async () => {
      // Act
      const timedOut = await runtime.function("probe").invoke({ action: "sleep", ms: 5000 });
      const next = await runtime.function("probe").invoke({});
      // Assess
      expect(timedOut.functionError).to.equal("Unhandled");
      expect(timedOut.payload).to.deep.include({
        errorType: "Sandbox.Timedout",
        errorMessage: "Task timed out after 1.00 seconds",
      });
      expect(
        timedOut.logs.some((l) => l.endsWith(`${timedOut.requestId} Task timed out after 1.00 seconds`)),
      ).to.equal(true);
      expect(report(timedOut)).to.match(/\tStatus: timeout$/);
      expect(timedOut.durationMs).to.be.within(950, 2000);
      expect(next.coldStart).to.equal(true);
      expect(probe(next).invocations).to.equal(1);
    });

    it("survives an infinite loop in a handler", async () => {
      const looped = await runtime.function("probe").invoke({ action: "loop" });
      expect((looped.payload as { errorType: string }).errorType).to.equal("Sandbox.Timedout");
      expect(probe(await runtime.function("probe").invoke({})).invocations).to.equal(1);
    });

    it("splits the heap as Lambda's Node.js bootstrap does: a tenth new space, the rest old space", async () => {
      // 128 MB: new space 12 MB → --max-semi-space-size=6 (young generation 3 × 6), old space 116 MB.
      expect(heapLimits(128)).to.deep.equal({ maxYoungGenerationSizeMb: 18, maxOldGenerationSizeMb: 116 });
      expect(heapLimits(1024)).to.deep.equal({ maxYoungGenerationSizeMb: 153, maxOldGenerationSizeMb: 922 });
      const limit = probe(await runtime.function("small").invoke({})).heapLimitMb;
      // V8's limit is old space plus a few 6 MB semi-spaces; uncapped it would be 116 + 4 × 16.
      expect(limit).to.be.within(116 + 12, 116 + 4 * 6);
    });

    it("enforces the memory limit, then starts a fresh environment", async () => {
      const oom = await runtime.function("small").invoke({ action: "alloc", mb: 400 });
      expect(oom.payload).to.deep.include({ errorType: "Runtime.OutOfMemory" });
      expect(oom.maxMemoryUsedMb).to.equal(128);
      const next = await runtime.function("small").invoke({});
      expect(next.coldStart).to.equal(true);
    });

    it("isolates process.exit: the caller gets Runtime.ExitError and the runtime carries on", async () => {
      const exited = await runtime.function("probe").invoke({ action: "exit", code: 3 });
      expect(exited.payload).to.deep.include({
        errorType: "Runtime.ExitError",
        errorMessage: "Runtime exited with error: exit status 3",
      });
      expect((await runtime.function("probe").invoke({})).coldStart).to.equal(true);
    });

    it("isolates an unhandled rejection", async () => {
      const rejected = await runtime.function("probe").invoke({ action: "reject-unhandled" });
      expect(rejected.payload).to.deep.include({
        errorType: "Runtime.UnhandledPromiseRejection",
        errorMessage: "Error: nobody awaited me",
      });
      expect((await runtime.function("probe").invoke({})).coldStart).to.equal(true);
    });

    it("returns a thrown error in Lambda's shape and keeps the environment warm", async () => {
      await runtime.function("probe").invoke({});
      const thrown = await runtime
        .function("probe")
        .invoke({ action: "throw", message: "bad input in record 2" });
      const payload = thrown.payload as { errorType: string; errorMessage: string; trace: string[] };
      expect(payload.errorType).to.equal("ProbeError");
      expect(payload.errorMessage).to.equal("bad input in record 2");
      expect(payload.trace[0]).to.equal("ProbeError: bad input in record 2");
      expect((await runtime.function("probe").invoke({})).coldStart).to.equal(false);
    });

    it("reports an init failure on the invocation, with the init duration", async () => {
      const result = await runtime.function("broken").invoke({});
      expect(result.functionError).to.equal("Unhandled");
      expect(result.payload).to.deep.include({
        errorType: "Error",
        errorMessage: "Configuration error: environment variable TABLE_NAME is missing",
      });
      expect(report(result)).to.match(/Init Duration: .*\tStatus: error\tError Type: Error$/);
    });
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
});
