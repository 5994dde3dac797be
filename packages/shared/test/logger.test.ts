import type { Context } from "aws-lambda";
import { expect } from "chai";
import { createLogger, FunctionLogger, startInvocation } from "../src/index.ts";

const context = (awsRequestId: string) =>
  ({
    awsRequestId,
    functionName: "lambdaform-dev-hello-api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:lambdaform-dev-hello-api",
    memoryLimitInMB: "128",
  }) as Context;

/** Runs `fn` with the process's stdout and stderr captured, and the variables given set. */
function capture(env: Record<string, string | undefined>, fn: () => void): { out: string[]; err: string[] } {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const lines = { out: [] as string[], err: [] as string[] };
  const { write: out } = process.stdout;
  const { write: err } = process.stderr;
  process.stdout.write = ((chunk: string) => lines.out.push(chunk) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => lines.err.push(chunk) > 0) as typeof process.stderr.write;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return lines;
}

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const ENV = {
  AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
  AWS_LAMBDA_LOG_LEVEL: undefined,
  POWERTOOLS_LOG_LEVEL: "INFO",
  LOG_LEVEL: undefined,
  _X_AMZN_TRACE_ID: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1",
};

describe("createLogger", () => {
  it("writes Powertools' JSON lines: standard keys in order, the context, then the call's attributes", () => {
    // Act
    const { out } = capture(ENV, () => {
      const logger = createLogger("hello-api");
      startInvocation(logger, context("req-1"));
      logger.info("request", { method: "GET", empty: "", none: null, big: 10n });
    });
    // Assess
    const [line] = parse(out);
    expect(Object.keys(line ?? {})).to.deep.equal([
      "level",
      "message",
      "timestamp",
      "service",
      "cold_start",
      "function_arn",
      "function_memory_size",
      "function_name",
      "function_request_id",
      "sampling_rate",
      "xray_trace_id",
      "method",
      "big",
    ]);
    expect(line).to.include({
      level: "INFO",
      message: "request",
      service: "hello-api",
      cold_start: true,
      function_name: "lambdaform-dev-hello-api",
      function_request_id: "req-1",
      function_memory_size: "128",
      sampling_rate: 0,
      xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
      big: "10",
    });
    expect(out[0]?.endsWith("}\n")).to.equal(true);
  });

  it("reports the cold start once, and only for on-demand environments", () => {
    const lines = (type: string | undefined) =>
      parse(
        capture({ ...ENV, AWS_LAMBDA_INITIALIZATION_TYPE: type }, () => {
          const logger = createLogger("s");
          for (const id of ["req-1", "req-2"]) {
            startInvocation(logger, context(id));
            logger.info("x");
          }
        }).out,
      ).map((l) => [l.function_request_id, l.cold_start]);
    expect(lines("on-demand")).to.deep.equal([
      ["req-1", true],
      ["req-2", false],
    ]);
    expect(lines("provisioned-concurrency")).to.deep.equal([
      ["req-1", false],
      ["req-2", false],
    ]);
  });

  it("writes warnings and errors to stderr, errors as name, location, message, stack and cause", () => {
    // Act
    const { out, err } = capture(ENV, () => {
      const logger = createLogger("s3-processor");
      const cause = new TypeError("inner");
      logger.error("processing failed", {
        error: Object.assign(new Error("boom", { cause }), { code: "E1" }),
      });
      logger.warn("careful");
    });
    // Assess
    expect(out).to.deep.equal([]);
    const [error, warning] = parse(err);
    const formatted = error?.error as Record<string, unknown>;
    expect(formatted).to.include({ name: "Error", message: "boom", code: "E1" });
    expect(formatted.location).to.match(/logger\.test\.ts:\d+$/);
    expect(formatted.stack).to.be.a("string");
    expect(formatted.cause).to.include({ name: "TypeError", message: "inner" });
    expect(warning).to.include({ level: "WARN", message: "careful" });
  });

  it("leaves out lines below the level, with Lambda's log level over Powertools' and LOG_LEVEL", () => {
    const levels = (env: Record<string, string | undefined>) =>
      parse(
        (() => {
          const { out, err } = capture({ ...ENV, ...env }, () => {
            const logger = new FunctionLogger({ serviceName: "s" });
            logger.debug("d");
            logger.info("i");
            logger.warn("w");
            logger.error("e");
          });
          return [...out, ...err];
        })(),
      ).map((l) => l.message);
    expect(levels({})).to.deep.equal(["i", "w", "e"]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: "debug" })).to.deep.equal(["d", "i", "w", "e"]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: "SILENT" })).to.deep.equal([]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: undefined, LOG_LEVEL: "ERROR" })).to.deep.equal(["e"]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: "DEBUG", AWS_LAMBDA_LOG_LEVEL: "WARN" })).to.deep.equal(["w", "e"]);
  });

  it("drops reserved keys with a warning and never lets an attribute set the prototype", () => {
    const { out, err } = capture(ENV, () => {
      createLogger("s").info("x", JSON.parse('{"level":"DEBUG","__proto__":{"polluted":true},"ok":1}'));
    });
    const [line] = parse(out);
    expect(line).to.include({ level: "INFO", ok: 1 });
    expect(line).not.to.have.property("polluted");
    expect(parse(err)[0]?.message).to.equal('The key "level" is a reserved key and will be dropped.');
  });

  it("leaves circular references out of a line", () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const { out } = capture(ENV, () => createLogger("s").info("x", { circular }));
    expect(parse(out)[0]?.circular).to.deep.equal({ a: 1 });
  });
});
