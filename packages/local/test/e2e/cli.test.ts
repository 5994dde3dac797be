import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { synthesize } from "@lambdaform/infra";
import { freePort } from "@lambdaform/testkit";
import { expect } from "chai";
import { readStack } from "../../src/stack/read-stack.ts";

const CLI = fileURLToPath(new URL("../../bin/lambdaform.mjs", import.meta.url));
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

describe("lambdaform CLI on the real functions and stack", function () {
  this.timeout(60_000);
  let stackDir: string;
  let dataDir: string;
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, [CLI, ...args], {
      encoding: "utf8",
      input,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
  const invoke = (args: string[], input?: string) =>
    run(["invoke", ...args, "--stack-dir", stackDir, "--data-dir", dataDir], input);

  before(() => {
    const outdir = mkdtempSync(join(tmpdir(), "lf-cli-synth-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    stackDir = join(outdir, "stacks", "lambdaform-dev");
    dataDir = mkdtempSync(join(tmpdir(), "lf-cli-data-"));
  });

  it("reads each function's deployed configuration from the synthesized stack", () => {
    const stack = readStack(stackDir);
    const processor = stack.functions.find((f) => f.shortName === "s3-processor");
    expect(processor).to.deep.include({
      name: "lambdaform-dev-s3-processor",
      handler: "index.handler",
      runtime: "nodejs22.x",
      architecture: "arm64",
      memoryMb: 256,
      timeoutSeconds: 30,
    });
    expect(processor?.environment).to.deep.equal({
      POWERTOOLS_LOG_LEVEL: "DEBUG",
      TABLE_NAME: "lambdaform-dev-FileProcessingLog",
    });
    expect(processor?.async).to.deep.equal({
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 3600,
      onFailure: { kind: "sqs", queueName: "lambdaform-dev-s3-processor-dlq" },
    });
    expect(stack.functions.map((f) => f.shortName).sort()).to.deep.equal([
      "ec2-monitor",
      "hello-api",
      "s3-processor",
    ]);
  });

  it("invokes hello-api from its bundle with a generated API event: 200, and Init Duration only on the cold start", () => {
    // Act
    const result = invoke(["hello-api", "--type", "apigw", "--repeat", "2"]);
    // Assess
    expect(result.status, result.stderr).to.equal(0);
    const reports = result.stderr.split("\n").filter((l) => l.startsWith("REPORT"));
    expect(reports).to.have.length(2);
    expect(reports[0]).to.match(/Init Duration: \d+\.\d\d ms/);
    expect(reports[1]).not.to.contain("Init Duration");
    const payloads = result.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((p) => JSON.parse(p));
    expect(payloads[0]).to.deep.include({ statusCode: 200 });
    expect(JSON.parse(payloads[0].body).message).to.equal("Hello from AWS Lambda!");
  });

  for (const [fn, type] of [
    ["s3-processor", "s3"],
    ["ec2-monitor", "schedule"],
  ] as const) {
    it(`reports a clear SDK error when ${fn} cannot reach its endpoint`, async () => {
      const closed = await freePort();
      const result = invoke([fn, "--type", type, "--endpoint-url", `http://127.0.0.1:${closed}`]);
      expect(result.status).to.equal(1);
      expect(result.stdout).to.match(/"errorType"/);
      expect(result.stdout).to.match(/ECONNREFUSED/);
      expect(result.stderr).to.match(/REPORT RequestId: .*Init Duration/);
    });
  }

  it("names the TypeScript file and line in error stack traces, in the result and in the logs", async () => {
    const closed = await freePort();
    const result = invoke(["s3-processor", "--type", "s3", "--endpoint-url", `http://127.0.0.1:${closed}`]);
    // Relative to the working directory, so a terminal can open it (here the package's directory).
    const source = /(?:\.\.\/)*functions\/s3-processor\/src\/process-uploads\.ts:(\d+):\d+/;
    const trace = (JSON.parse(result.stdout).trace as string[]).join("\n");
    expect(trace).to.match(source);
    expect(trace).not.to.contain("index.mjs");
    const line = Number(source.exec(trace)?.[1]);
    const text = readFileSync(join(REPO, "packages/functions/s3-processor/src/process-uploads.ts"), "utf8");
    expect(text.split("\n")[line - 1]).to.contain("new RecordProcessingError");
    // The structured log line of the failure carries the mapped stack too.
    expect(result.stderr).to.match(/"processing failed".*process-uploads\.ts:\d+:\d+/);
  });

  it("reads the event from a file or standard input", () => {
    const file = join(dataDir, "event.json");
    writeFileSync(file, JSON.stringify({ httpMethod: "DELETE", path: "/hello", requestContext: {} }));
    const fromFile = invoke(["hello-api", "--event", file]);
    expect(JSON.parse(fromFile.stdout).statusCode).to.equal(405);
    const fromStdin = invoke(
      ["hello-api", "--event", "-"],
      JSON.stringify({ httpMethod: "OPTIONS", path: "/hello", requestContext: {} }),
    );
    expect(JSON.parse(fromStdin.stdout).statusCode).to.equal(204);
  });

  it("names the valid functions when the name is unknown", () => {
    const result = invoke(["hello", "--type", "apigw"]);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain('Unknown function "hello" in stack lambdaform-dev. Valid choices: ');
    expect(result.stderr).to.match(/hello-api/);
  });

  it("explains an unreadable event file and invalid JSON", () => {
    const missing = invoke(["hello-api", "--event", "/nonexistent/event.json"]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.contain("Cannot read event file /nonexistent/event.json: ENOENT");
    const bad = join(dataDir, "bad.json");
    writeFileSync(bad, "{ not json");
    const invalid = invoke(["hello-api", "--event", bad]);
    expect(invalid.status).to.equal(2);
    expect(invalid.stderr).to.contain(`Event file ${bad} is not valid JSON`);
  });

  it("names the valid event types when the type is unknown", () => {
    const result = invoke(["hello-api", "--type", "kinesis"]);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/Unknown event type "kinesis". Valid types: apigw/);
  });

  it("prints faithful sample events with the stack's defaults", () => {
    const s3 = run(["event", "s3", "--key", "uploads/my report+1.txt", "--stack-dir", stackDir]);
    const record = JSON.parse(s3.stdout).Records[0];
    expect(record.s3.object.key).to.equal("uploads/my+report%2B1.txt");
    expect(record.s3.bucket.name).to.match(/^lambdaform-dev-uploads-/);
    expect(record.s3.object.versionId).to.be.a("string");
    const schedule = JSON.parse(run(["event", "schedule", "--stack-dir", stackDir]).stdout);
    expect(schedule.resources).to.deep.equal([
      "arn:aws:events:us-east-1:123456789012:rule/lambdaform-dev-EC2MonitoringSchedule",
    ]);
    const api = JSON.parse(run(["event", "apigw", "--stack-dir", stackDir, "--query", "a=1"]).stdout);
    expect(api.requestContext.path).to.equal("/prod/hello");
    expect(api.queryStringParameters).to.deep.equal({ a: "1" });
  });

  describe("cost", () => {
    const cost = (args: string[]) => run(["cost", "--stack-dir", stackDir, ...args]);

    it("prices every function from its deployed memory and architecture", () => {
      const result = cost(["--invocations", "1000000", "--duration-ms", "100"]);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.contain(
        "| s3-processor | 256 MB | arm64 | 1,000,000 | 100 ms | 25,000 | $0.20 | $0.33 | $0.53 |",
      );
      expect(result.stdout).to.contain("**$1.27**");
    });

    it("uses durations measured in REPORT lines", () => {
      const reports = join(dataDir, "reports.log");
      writeFileSync(
        reports,
        "REPORT RequestId: a\tDuration: 10.50 ms\tBilled Duration: 11 ms\nREPORT RequestId: b\tDuration: 19.50 ms\tBilled Duration: 20 ms\n",
      );
      const result = cost(["--function", "hello-api", "--from-reports", reports]);
      expect(result.stdout).to.contain("| hello-api | 128 MB | arm64 | 1,000,000 | 15 ms |");
    });

    it("compares memory sizes for a duration curve", () => {
      const result = cost([
        "--function",
        "s3-processor",
        "--compare-memory",
        "128,256,512,1024",
        "--durations",
        "800,400,210,110",
      ]);
      expect(result.stdout).to.contain("| 512 MB | 210 ms | 105,000 | $0.20 | $1.40 | $1.60 |");
      expect(result.stdout).to.contain("cheapest: 128 MB");
    });

    it("explains bad input: negative numbers, an unknown function, a missing stack", () => {
      const negative = cost(["--invocations=-5"]);
      expect(negative.status).to.equal(2);
      expect(negative.stderr).to.contain("--invocations must be a number ≥ 0, got -5");
      const unknown = cost(["--function", "nope", "--compare-memory", "128"]);
      expect(unknown.stderr).to.contain('Unknown function "nope"');
      const missing = run(["cost", "--stage", "qa"]);
      expect(missing.status).to.equal(2);
      expect(missing.stderr).to.match(/No synthesized stack for stage "qa"/);
    });
  });
});
