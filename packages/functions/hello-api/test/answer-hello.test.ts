import { captureOutput } from "@lambdaform/testkit";
import { expect } from "chai";
import sinon from "sinon";
import { type AnswerHelloDeps, answerHello } from "../src/answer-hello.ts";
import { FIXED_NOW, loadEvent, testDeps as loggingDeps, SECRETS } from "./fixtures.ts";

const quiet = { logger: { info() {}, warn() {}, error() {} } as unknown as AnswerHelloDeps["logger"] };
const testDeps = (overrides: Partial<AnswerHelloDeps> = {}) => loggingDeps({ ...quiet, ...overrides });

describe("answerHello", () => {
  it("answers GET /hello with the seed's fields and the request id", () => {
    // Act
    const response = answerHello(loadEvent("apigw-get-hello"), testDeps());
    // Assess
    expect(response.statusCode).to.equal(200);
    expect(response.headers).to.deep.equal({
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": "*",
    });
    const body = JSON.parse(response.body);
    expect(body).to.include({
      message: "Hello from AWS Lambda!",
      timestamp: FIXED_NOW.toISOString(),
      source_ip: "203.0.113.10",
      user_agent: "curl/8.5.0",
      request_id: "e6f4b1d2-9c1e-4b8a-8f21-2f0c1b9e7a11",
    });
    expect(body.event_received.path).to.equal("/hello");
  });

  it("uses the configured CORS origin", () => {
    const response = answerHello(
      loadEvent("apigw-get-hello"),
      testDeps({ corsOrigin: "https://app.example.com" }),
    );
    expect(response.headers?.["Access-Control-Allow-Origin"]).to.equal("https://app.example.com");
  });

  it("tolerates headers: null and falls back to 'unknown'", () => {
    const response = answerHello(loadEvent("apigw-no-headers"), testDeps());
    expect(response.statusCode).to.equal(200);
    expect(JSON.parse(response.body)).to.include({
      user_agent: "unknown",
      source_ip: "test-invoke-source-ip",
    });
  });

  it("accepts the seed's own console test event", () => {
    const seedEvent = {
      httpMethod: "GET",
      path: "/hello",
      headers: { "User-Agent": "Mozilla/5.0" },
      requestContext: { identity: { sourceIp: "192.168.1.100" } },
    };
    const response = answerHello(seedEvent, testDeps());
    expect(response.statusCode).to.equal(200);
    expect(JSON.parse(response.body)).to.include({
      source_ip: "192.168.1.100",
      user_agent: "Mozilla/5.0",
      request_id: "lambda-request-id",
    });
  });

  it("redacts credential headers in any case, in both header maps and the identity API key", () => {
    // Prepare
    const event = loadEvent("apigw-get-hello");
    (event.headers as Record<string, string>)["PROXY-AUTHORIZATION"] = "Basic cHJveHk6c2VjcmV0";
    // Act
    const response = answerHello(event, testDeps());
    // Assess
    for (const secret of [...SECRETS, "Basic cHJveHk6c2VjcmV0"]) expect(response.body).not.to.contain(secret);
    const echoed = JSON.parse(response.body).event_received;
    expect(echoed.headers).to.include({
      authorization: "[REDACTED]",
      Cookie: "[REDACTED]",
      "x-api-key": "[REDACTED]",
      "PROXY-AUTHORIZATION": "[REDACTED]",
      "user-agent": "curl/8.5.0",
    });
    expect(echoed.multiValueHeaders.authorization).to.deep.equal(["[REDACTED]"]);
    expect(echoed.requestContext.identity.apiKey).to.equal("[REDACTED]");
  });

  it("rejects header values that are not strings, __proto__ and constructor included, and echoes none of them", () => {
    // Prepare: JSON makes `__proto__` an own key, as an event arriving over the wire has it.
    const event = loadEvent("apigw-get-hello");
    const smuggled = JSON.parse(
      JSON.stringify(event).replace(
        '"headers":{',
        '"headers":{"__proto__":{"Authorization":"Bearer smuggled-token"},',
      ),
    );
    expect(Object.hasOwn(smuggled.headers, "__proto__")).to.equal(true);
    const withConstructor = { ...event, headers: { ...event.headers, constructor: ["a"] } };
    const multi = { ...event, multiValueHeaders: { Accept: "not-a-list" } };
    // Act
    const responses = [smuggled, withConstructor, multi].map((e) => answerHello(e, testDeps()));
    // Assess
    expect(responses.map((r) => r.statusCode)).to.deep.equal([400, 400, 400]);
    expect(JSON.parse(responses[0]?.body ?? "{}").error).to.contain(
      "headers.__proto__: expected string, received object",
    );
    expect(JSON.parse(responses[1]?.body ?? "{}").error).to.contain("headers.constructor");
    expect(JSON.parse(responses[2]?.body ?? "{}").error).to.contain("multiValueHeaders.Accept");
    for (const r of responses) expect(r.body).to.not.contain("smuggled-token");
  });

  it("redacts X-Amz-Security-Token, a presigned URL's credentials in the query, and the identity's access key", () => {
    // Prepare
    const event = loadEvent("apigw-get-hello");
    event.headers = { ...event.headers, "x-amz-security-token": "session-token-1" };
    event.multiValueHeaders = { ...event.multiValueHeaders, "X-Amz-Security-Token": ["session-token-1"] };
    event.queryStringParameters = {
      "X-Amz-Credential": "AKIDEXAMPLE/20261201/us-east-1/execute-api/aws4_request",
      "x-amz-signature": "abc123signature",
      "X-AMZ-SECURITY-TOKEN": "session-token-2",
      name: "kept",
    };
    event.multiValueQueryStringParameters = { "X-Amz-Signature": ["abc123signature"], name: ["kept"] };
    (event.requestContext.identity as unknown as Record<string, unknown>).accessKey = "AKIDEXAMPLE";
    // Act
    const response = answerHello(event, testDeps());
    // Assess
    expect(response.statusCode).to.equal(200);
    for (const secret of ["session-token-1", "session-token-2", "abc123signature", "AKIDEXAMPLE"])
      expect(response.body).to.not.contain(secret);
    const received = JSON.parse(response.body).event_received;
    expect(received.queryStringParameters).to.deep.equal({
      "X-Amz-Credential": "[REDACTED]",
      "x-amz-signature": "[REDACTED]",
      "X-AMZ-SECURITY-TOKEN": "[REDACTED]",
      name: "kept",
    });
    expect(received.multiValueQueryStringParameters).to.deep.equal({
      "X-Amz-Signature": ["[REDACTED]"],
      name: ["kept"],
    });
    expect(received.requestContext.identity.accessKey).to.equal("[REDACTED]");
  });

  it("never writes a credential to a log line, on success or failure", async () => {
    // Prepare
    const good = loadEvent("apigw-get-hello");
    const bad = { ...loadEvent("apigw-get-hello"), httpMethod: 42 };
    const broken = testDeps({
      now: () => {
        throw new Error("clock failure");
      },
    });
    // Act
    const { output } = await captureOutput(async () => {
      answerHello(good, loggingDeps());
      answerHello(bad, loggingDeps());
      answerHello(loadEvent("apigw-get-hello"), loggingDeps({ now: broken.now }));
    });
    // Assess
    expect(output).to.contain("clock failure");
    for (const secret of SECRETS) expect(output).not.to.contain(secret);
  });

  it("answers a CORS preflight", () => {
    const response = answerHello({ ...loadEvent("apigw-get-hello"), httpMethod: "OPTIONS" }, testDeps());
    expect(response.statusCode).to.equal(204);
    expect(response.headers).to.include({
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "GET, OPTIONS",
    });
  });

  it("answers 405 with Allow for other methods", () => {
    const response = answerHello({ ...loadEvent("apigw-get-hello"), httpMethod: "DELETE" }, testDeps());
    expect(response.statusCode).to.equal(405);
    expect(response.headers).to.include({ Allow: "GET, OPTIONS", "Content-Type": "application/json" });
    expect(JSON.parse(response.body).error).to.match(/DELETE not allowed/);
  });

  it("answers 400 naming the bad field for a non-API Gateway event", () => {
    const s3Event = { Records: [{ eventSource: "aws:s3" }] };
    const response = answerHello(s3Event, testDeps());
    expect(response.statusCode).to.equal(400);
    expect(response.headers?.["Content-Type"]).to.equal("application/json");
    expect(JSON.parse(response.body)).to.deep.equal({
      error:
        "Invalid API Gateway proxy event: httpMethod: Invalid input: expected string, received undefined",
      request_id: "lambda-request-id",
    });
  });

  it("answers 400 for a malformed API Gateway event and for non-object input", () => {
    const noContext = { ...loadEvent("apigw-get-hello"), requestContext: "nope" };
    expect(JSON.parse(answerHello(noContext, testDeps()).body).error).to.contain("requestContext");
    for (const input of [null, "GET /hello", 42, []])
      expect(answerHello(input, testDeps()).statusCode).to.equal(400);
  });

  it("answers 500 with the request id, and keeps the details in the log only", async () => {
    // Prepare
    const deps = loggingDeps({ now: sinon.stub().throws(new Error("clock exploded at 0x1234")) });
    // Act
    const { result, output } = await captureOutput(async () =>
      answerHello(loadEvent("apigw-get-hello"), deps),
    );
    // Assess
    expect(result.statusCode).to.equal(500);
    expect(JSON.parse(result.body)).to.deep.equal({
      error: "Internal server error",
      request_id: "e6f4b1d2-9c1e-4b8a-8f21-2f0c1b9e7a11",
    });
    expect(output).to.contain("clock exploded at 0x1234");
  });

  it("answers a warm-up ping early", () => {
    const response = answerHello(loadEvent("scheduled-warmup"), testDeps());
    expect(response).to.deep.equal({ statusCode: 200, body: "Warm-up successful" });
  });
});
