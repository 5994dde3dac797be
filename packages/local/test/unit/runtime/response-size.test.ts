import { expect } from "chai";
import type { DeployedApi } from "../../../src/dev/deployed.ts";
import { MAX_RESPONSE_BYTES } from "../../../src/runtime/lambda-limits.ts";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { ApiGatewayServer } from "../../../src/sources/api-gateway/server.ts";
import { fixtureRuntime } from "../../helpers.ts";

describe("synchronous response payload limit (6 MB, Function.ResponseSizeTooLarge)", function () {
  this.timeout(60_000);
  let runtime: LocalRuntime;

  before(() => {
    runtime = fixtureRuntime([{ fixture: "big-response", name: "big", memoryMb: 512, timeoutSeconds: 10 }]);
  });

  after(async () => {
    await runtime.close();
  });

  it("fails an invocation whose response is 9.5 MB with Lambda's error, and keeps the environment warm", async () => {
    // Act
    const result = await runtime.function("big").invoke({});
    // Assess
    expect(result.functionError).to.equal("Unhandled");
    expect(result.payload).to.deep.include({
      errorType: "Function.ResponseSizeTooLarge",
      errorMessage: "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
    });
    expect(
      result.logs.some((l) =>
        l.includes("ERROR\tLAMBDA_RUNTIME Failed to post handler success response. Http response code: 413."),
      ),
    ).to.equal(true);
    const again = await runtime.function("big").invoke({ bytes: 10 });
    expect(again.coldStart).to.equal(false);
    expect(again.payload).to.equal("x".repeat(10));
  });

  it("counts the response's JSON: 6,291,556 bytes pass, one more fails", async () => {
    // A string's JSON is the string and two quotes.
    const fits = await runtime.function("big").invoke({ bytes: MAX_RESPONSE_BYTES - 2 });
    expect(fits.functionError).to.equal(undefined);
    expect((fits.payload as string).length).to.equal(MAX_RESPONSE_BYTES - 2);
    const over = await runtime.function("big").invoke({ bytes: MAX_RESPONSE_BYTES - 1 });
    expect(over.functionError).to.equal("Unhandled");
    expect(over.payload).to.have.property("errorType", "Function.ResponseSizeTooLarge");
  });

  it("answers 502 Internal server error through API Gateway for a 9.5 MB body, 200 for a small one", async () => {
    // Prepare
    const api: DeployedApi = {
      id: "abc123defg",
      name: "LambdaAPI",
      stages: [{ name: "prod" }],
      routes: [
        {
          resourceId: "res001",
          resourcePath: "/big",
          httpMethod: "GET",
          functionName: "lambdaform-test-big",
          timeoutMs: 29_000,
        },
      ],
    };
    const server = new ApiGatewayServer({
      apis: [api],
      runtime,
      region: "eu-west-1",
      accountId: "123456789012",
      throttling: false,
    });
    const get = (path: string) =>
      server.handle({
        method: "GET",
        url: new URL(path, "http://127.0.0.1"),
        host: "127.0.0.1",
        rawHeaders: [],
        body: Buffer.alloc(0),
        sourceIp: "127.0.0.1",
      });
    // Act
    const reply = await get("/prod/big");
    // Assess
    expect(reply.status).to.equal(502);
    expect(JSON.parse(reply.body.toString())).to.deep.equal({ message: "Internal server error" });
    const small = await get("/prod/big?bytes=5");
    expect(small.status).to.equal(200);
    expect(small.body.toString()).to.equal("xxxxx");
  });
});
