import { createServer, type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { ApiGatewayServer } from "../src/dev/api-gateway.ts";
import type { DeployedApi } from "../src/dev/deployed.ts";
import type { LocalRuntime } from "../src/runtime/local-runtime.ts";
import { fixtureRuntime } from "./helpers.ts";

describe("local API Gateway", function () {
  this.timeout(30_000);
  let runtime: LocalRuntime;
  let base: string;
  let close: () => void;
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
  let deployed = api();

  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: IncomingMessage["headers"]; body: string }>((resolve, reject) => {
      const req = request(`${base}${path}`, { headers }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    });

  before(async () => {
    runtime = fixtureRuntime([{ fixture: "probe", name: "probe", timeoutSeconds: 5 }]);
    const server = new ApiGatewayServer(
      () => [deployed],
      () => runtime,
      () => "eu-west-1",
      () => "123456789012",
    );
    const http = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const reply = await server.handle(req, new URL(req.url ?? "/", "http://x"), Buffer.concat(chunks));
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    close = () => http.close();
  });

  after(async () => {
    close();
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
    deployed = api(5, 5);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => get("/prod/hello").then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 201).length).to.be.within(5, 6);
      expect(statuses.filter((s) => s === 429).length).to.be.within(14, 15);
    } finally {
      deployed = api();
    }
  });
});
