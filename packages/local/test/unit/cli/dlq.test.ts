import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureOutput } from "@lambdaform/testkit";
import { expect } from "chai";
import { main } from "../../../src/cli/main.ts";
import type { InvocationRecord } from "../../../src/runtime/dead-letters.ts";
import { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { readStack } from "../../../src/stack/read-stack.ts";
import { fixtureStack } from "../../helpers.ts";

const QUEUE = "lambdaform-test-async-dlq";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("pnpm dlq on the local dead-letter store", function () {
  this.timeout(60_000);
  let stackDir: string;
  let dataDir: string;
  const dlq = (...args: string[]) =>
    captureOutput(() => main(["dlq", ...args, "--stack-dir", stackDir, "--data-dir", dataDir]));

  beforeEach(() => {
    stackDir = fixtureStack([{ fixture: "probe", name: "async", async: { retries: 0, queue: QUEUE } }]);
    dataDir = mkdtempSync(join(tmpdir(), "lf-data-"));
  });

  for (const queue of ["../../x", "..", "/etc", "not-a-queue"]) {
    it(`refuses redrive ${queue} as a usage error (exit 2) naming the stack's queues`, async () => {
      const { result, output } = await dlq("redrive", queue);
      expect(result, output).to.equal(2);
      expect(output).to.contain(
        `Unknown queue "${queue}" in stack lambdaform-test. Valid choices: ${QUEUE}.`,
      );
      expect(output).to.contain("Usage: lambdaform dlq");
    });
  }

  it("lists the readable dead letters and warns, naming it, about a corrupt file", async () => {
    // Prepare: two letters, one of them then corrupted.
    const runtime = new LocalRuntime(readStack(stackDir), { dataDir });
    const record = (n: number): InvocationRecord => ({
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: `request-${n}`,
        functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:lambdaform-test-async:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 1,
      },
      requestPayload: { n },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "ProbeError", errorMessage: `failed ${n}` },
    });
    await runtime.deadLetters.deliver(QUEUE, record(1));
    await runtime.deadLetters.deliver("another-queue", record(2));
    await runtime.close();
    const corrupt = filesUnder(runtime.deadLetters.dir).find((f) => f.includes("another-queue")) ?? "";
    writeFileSync(corrupt, "[{ truncated");
    // Act
    const { result, output } = await dlq("list");
    // Assess
    expect(result, output).to.equal(0);
    expect(output).to.match(
      new RegExp(`${QUEUE}\\t[0-9a-f-]+\\t.*\\tRetriesExhausted after 1\\tProbeError: failed 1`),
    );
    expect(output).to.contain("1 dead letter(s)");
    expect(output).to.contain(`lambdaform: warning: skipped ${corrupt}: `);
    expect(output).to.contain("fix its JSON, or move it out of the store");
  });
});
