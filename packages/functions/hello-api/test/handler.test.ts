import { captureOutput, withEnv } from "@lambdaform/testkit";
import type { Context } from "aws-lambda";
import { expect } from "chai";
import { loadEvent, SECRETS } from "./fixtures.ts";

const context = (awsRequestId: string): Context =>
  ({
    awsRequestId,
    functionName: "lambdaform-dev-hello-api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:lambdaform-dev-hello-api",
    memoryLimitInMB: "128",
    logGroupName: "/aws/lambda/lambdaform-dev-hello-api",
    logStreamName: "2026/11/27/[$LATEST]abc",
    getRemainingTimeInMillis: () => 3000,
  }) as Context;

type Handler = (
  event: unknown,
  context: Context,
) => Promise<{ statusCode: number; body: string; headers?: object }>;

// The same assertions run against the TypeScript source and against the built bundle that ships.
for (const [label, url] of [
  ["source handler", new URL("../src/handler.ts", import.meta.url)],
  ["built bundle dist/index.mjs", new URL("../dist/index.mjs", import.meta.url)],
] as const) {
  describe(`hello-api ${label}`, () => {
    let handler: Handler;
    let restore: () => void;

    before(async () => {
      // Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE; Powertools reports cold starts only when it is "on-demand".
      restore = withEnv({
        CORS_ALLOW_ORIGIN: "https://app.example.com",
        POWERTOOLS_LOG_LEVEL: "INFO",
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      });
      ({ handler } = await import(`${url.href}?case=${encodeURIComponent(label)}`));
    });

    after(() => restore());

    it("returns 200 with CORS from config, logging JSON lines with request id and cold start", async () => {
      // Act
      const { result, output } = await captureOutput(() =>
        Promise.all([handler(loadEvent("apigw-get-hello"), context("req-1"))]).then(async ([first]) => [
          first,
          await handler(loadEvent("apigw-get-hello"), context("req-2")),
        ]),
      );
      // Assess
      const [first, second] = result;
      expect(first?.statusCode).to.equal(200);
      expect(first?.headers).to.include({ "Access-Control-Allow-Origin": "https://app.example.com" });
      expect(JSON.parse(second?.body ?? "{}").message).to.equal("Hello from AWS Lambda!");
      const lines = output
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines.map((l) => [l.function_request_id, l.cold_start])).to.deep.equal([
        ["req-1", true],
        ["req-2", false],
      ]);
      expect(lines[0]).to.include({
        function_name: "lambdaform-dev-hello-api",
        level: "INFO",
        service: "hello-api",
      });
      for (const secret of SECRETS) expect(output).not.to.contain(secret);
    });

    it("answers 400 naming headers.__proto__ for a token smuggled under __proto__, and echoes none of it", async () => {
      // Prepare: the reviewer's event, and the same inside a full GET (JSON makes `__proto__` an own key).
      const bare = JSON.parse('{"headers":{"__proto__":{"Authorization":"Bearer smuggled-token"}}}');
      const full = JSON.parse(
        JSON.stringify(loadEvent("apigw-get-hello")).replace(
          '"headers":{',
          '"headers":{"__proto__":{"Authorization":"Bearer smuggled-token"},',
        ),
      );
      // Act
      const { result, output } = await captureOutput(async () => [
        await handler(bare, context("req-4")),
        await handler(full, context("req-5")),
      ]);
      // Assess
      for (const response of result) {
        expect(response.statusCode).to.equal(400);
        expect(JSON.parse(response.body).error).to.contain(
          "headers.__proto__: expected string, received object",
        );
        expect(response.body).to.not.contain("smuggled-token");
      }
      expect(output).to.not.contain("smuggled-token");
    });

    it("redacts X-Amz-Security-Token, a presigned URL's credentials and the identity's access key", async () => {
      // Prepare
      const event = loadEvent("apigw-get-hello");
      event.headers = { ...event.headers, "X-Amz-Security-Token": "session-token-1" };
      event.multiValueHeaders = { ...event.multiValueHeaders, "x-amz-security-token": ["session-token-1"] };
      event.queryStringParameters = {
        "x-amz-credential": "AKIDEXAMPLE/20261201/us-east-1/execute-api/aws4_request",
        "X-Amz-Signature": "abc123signature",
        "X-AMZ-SECURITY-TOKEN": "session-token-2",
        name: "kept",
      };
      event.multiValueQueryStringParameters = {
        "X-Amz-Credential": ["AKIDEXAMPLE/20261201"],
        name: ["kept"],
      };
      (event.requestContext.identity as unknown as Record<string, unknown>).accessKey = "AKIDEXAMPLE";
      // Act
      const { result, output } = await captureOutput(() => handler(event, context("req-6")));
      // Assess
      expect(result.statusCode).to.equal(200);
      for (const secret of [
        "session-token-1",
        "session-token-2",
        "abc123signature",
        "AKIDEXAMPLE",
        ...SECRETS,
      ]) {
        expect(result.body).to.not.contain(secret);
        expect(output).to.not.contain(secret);
      }
      const echoed = JSON.parse(result.body).event_received;
      expect(echoed.headers["X-Amz-Security-Token"]).to.equal("[REDACTED]");
      expect(echoed.multiValueHeaders["x-amz-security-token"]).to.deep.equal(["[REDACTED]"]);
      expect(echoed.queryStringParameters).to.deep.equal({
        "x-amz-credential": "[REDACTED]",
        "X-Amz-Signature": "[REDACTED]",
        "X-AMZ-SECURITY-TOKEN": "[REDACTED]",
        name: "kept",
      });
      expect(echoed.multiValueQueryStringParameters).to.deep.equal({
        "X-Amz-Credential": ["[REDACTED]"],
        name: ["kept"],
      });
      expect(echoed.requestContext.identity.accessKey).to.equal("[REDACTED]");
    });

    it("echoes headers and query parameters named __proto__, constructor and toString as plain data", async () => {
      // Prepare
      const event = JSON.parse(
        JSON.stringify({
          ...loadEvent("apigw-get-hello"),
          queryStringParameters: { constructor: "c", toString: "t" },
        }).replace('"queryStringParameters":{', '"queryStringParameters":{"__proto__":"p",'),
      );
      // Act
      const { result } = await captureOutput(() => handler(event, context("req-7")));
      // Assess
      expect(result.statusCode).to.equal(200);
      expect(JSON.parse(result.body).event_received.queryStringParameters).to.deep.equal(
        JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}'),
      );
      expect(result.body).to.contain(
        '"queryStringParameters":{"__proto__":"p","constructor":"c","toString":"t"}',
      );
    });

    it("never throws, even for undefined input", async () => {
      const { result } = await captureOutput(() => handler(undefined, context("req-3")));
      expect(result.statusCode).to.equal(400);
    });
  });
}
