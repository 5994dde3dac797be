import { expect } from "chai";
import { heapLimits } from "../../../src/runtime/lambda-limits.ts";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { closeProbeRuntime, probe, probeRuntime, report } from "../../helpers.ts";

describe("execution environments (local Lambda runtime)", function () {
  this.timeout(60_000);
  let runtime: LocalRuntime;

  before(() => {
    runtime = probeRuntime();
  });

  after(async () => {
    await closeProbeRuntime(runtime);
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

    it("reports running out of memory as Runtime.OutOfMemory, not a timeout, when environments outnumber the cores", async () => {
      // Act: eight environments filling 128 MB at once, each with a 2 s timeout. Alone, one runs out
      // of memory in about 0.6 s of CPU; eight on this machine's two cores spend most of their wall
      // time waiting for one (and more when other tests run beside them).
      const results = await Promise.all(
        Array.from({ length: 8 }, () => runtime.function("crowded").invoke({ action: "alloc", mb: 400 })),
      );
      // Assess
      expect(results.map((r) => (r.payload as { errorType?: string }).errorType)).to.deep.equal(
        Array(8).fill("Runtime.OutOfMemory"),
      );
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
});
