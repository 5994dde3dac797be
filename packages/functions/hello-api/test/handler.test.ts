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

    it("never throws, even for undefined input", async () => {
      const { result } = await captureOutput(() => handler(undefined, context("req-3")));
      expect(result.statusCode).to.equal(400);
    });
  });
}
