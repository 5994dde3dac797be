import { expect } from "chai";
import type { DeployedApi } from "../../../../src/dev/deployed.ts";
import type { LocalRuntime } from "../../../../src/runtime/local-runtime.ts";
import { ApiGatewayServer, type ApiRequestMetric } from "../../../../src/sources/api-gateway/server.ts";
import { fixtureRuntime } from "../../../helpers.ts";

describe("local API Gateway", function () {
  this.timeout(30_000);
  let runtime: LocalRuntime;
  const api = (rateLimit?: number, burstLimit?: number): DeployedApi => ({
    id: "abc123defg",
    name: "LambdaAPI",
    stages: [{ name: "prod", rateLimit, burstLimit }],
    routes: [
      {
        resourceId: "res001",
        resourcePath: "/hello",
        httpMethod: "GET",
        functionName: "lambdaform-test-probe",
        timeoutMs: 29_000,
      },
      {
        resourceId: "res002",
        resourcePath: "/items/{id}",
        httpMethod: "GET",
        functionName: "lambdaform-test-probe",
        timeoutMs: 29_000,
      },
      {
        resourceId: "res003",
        resourcePath: "/slow",
        httpMethod: "GET",
        functionName: "lambdaform-test-probe",
        timeoutMs: 100,
      },
      {
        resourceId: "res004",
        resourcePath: "/malformed",
        httpMethod: "GET",
        functionName: "lambdaform-test-probe",
        timeoutMs: 29_000,
      },
      {
        resourceId: "res005",
        resourcePath: "/fail",
        httpMethod: "GET",
        functionName: "lambdaform-test-probe",
        timeoutMs: 29_000,
      },
    ],
  });

  const deployment = (apis: ReadonlyArray<DeployedApi>, throttling: boolean) =>
    new ApiGatewayServer({ apis, runtime, region: "eu-west-1", accountId: "123456789012", throttling });
  // A plain request object: the server needs no socket.
  const get = async (
    path: string,
    headers: Record<string, string> = {},
    server = deployment([api()], true),
  ) => {
    const reply = await server.handle({
      method: "GET",
      url: new URL(path, "http://127.0.0.1"),
      host: "127.0.0.1",
      rawHeaders: Object.entries(headers).flat(),
      body: Buffer.alloc(0),
      sourceIp: "127.0.0.1",
    });
    const lower = Object.fromEntries(Object.entries(reply.headers).map(([k, v]) => [k.toLowerCase(), v]));
    return { status: reply.status, headers: lower, body: reply.body.toString() };
  };

  before(() => {
    runtime = fixtureRuntime([{ fixture: "probe", name: "probe", timeoutSeconds: 5 }]);
  });

  after(async () => {
    await runtime.close();
  });

  it("passes a faithful v1 proxy event and the function's answer through", async () => {
    const response = await get("/prod/items/42?tag=a&tag=b", { "X-Custom": "1" });
    expect(response.status).to.equal(201);
    expect(response.headers["x-probe"]).to.equal("yes");
    const event = JSON.parse(response.body);
    expect(event).to.deep.include({
      resource: "/items/{id}",
      path: "/items/42",
      httpMethod: "GET",
      pathParameters: { id: "42" },
      queryStringParameters: { tag: "b" },
      multiValueQueryStringParameters: { tag: ["a", "b"] },
      body: null,
    });
    expect(event.requestContext).to.deep.include({
      path: "/prod/items/42",
      stage: "prod",
      resourcePath: "/items/{id}",
      resourceId: "res002",
      apiId: "abc123defg",
    });
    expect(event.headers["X-Custom"]).to.equal("1");
  });

  it("reports each request to a deployed stage for API Gateway's metrics: status, latency, integration latency", async () => {
    // Prepare
    const seen: ApiRequestMetric[] = [];
    const server = new ApiGatewayServer({
      apis: [api()],
      runtime,
      region: "eu-west-1",
      accountId: "123456789012",
      throttling: true,
      onRequest: (request) => seen.push(request),
    });
    // Act: a success, a route the stage lacks, a function error, and a path outside any stage.
    for (const path of ["/prod/hello", "/prod/nope", "/prod/fail", "/nostage"]) await get(path, {}, server);
    // Assess
    expect(seen.map((r) => [r.apiName, r.stage, r.status])).to.deep.equal([
      ["LambdaAPI", "prod", 201],
      ["LambdaAPI", "prod", 403],
      ["LambdaAPI", "prod", 502],
    ]);
    expect(seen[0]?.integrationLatencyMs).to.be.a("number");
    expect(seen[1]?.integrationLatencyMs).to.equal(undefined); // never reached the function
    for (const r of seen) expect(r.latencyMs).to.be.at.least(r.integrationLatencyMs ?? 0);
  });

  it("answers an unknown route or method with 403 Missing Authentication Token", async () => {
    for (const path of ["/prod/nope", "/dev/hello", "/hello", "/prod/items"]) {
      const response = await get(path);
      expect(response.status, path).to.equal(403);
      expect(JSON.parse(response.body)).to.deep.equal({ message: "Missing Authentication Token" });
    }
  });

  it("answers 502 Internal server error for a malformed Lambda response or a function error", async () => {
    for (const path of ["/prod/malformed", "/prod/fail"]) {
      const response = await get(path);
      expect(response.status, path).to.equal(502);
      expect(JSON.parse(response.body)).to.deep.equal({ message: "Internal server error" });
    }
  });

  it("answers 504 when the integration times out", async () => {
    const response = await get("/prod/slow");
    expect(response.status).to.equal(504);
    expect(JSON.parse(response.body)).to.deep.equal({ message: "Endpoint request timed out" });
  });

  it("answers 429 Too Many Requests beyond the stage's throttling", async () => {
    const throttled = deployment([api(5, 5)], true);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => get("/prod/hello", {}, throttled).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 201).length).to.be.within(5, 6);
    expect(statuses.filter((s) => s === 429).length).to.be.within(14, 15);
  });
});
