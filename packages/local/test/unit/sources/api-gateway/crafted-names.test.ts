import { expect } from "chai";
import { parseCommand } from "../../../../src/cli/command.ts";
import { eventCommand, eventOptions } from "../../../../src/cli/commands/event.ts";
import type { DeployedApi } from "../../../../src/dev/deployed.ts";
import type { LocalRuntime } from "../../../../src/runtime/local-runtime.ts";
import { apiGatewayProxyEvent } from "../../../../src/sources/api-gateway/event.ts";
import { ApiGatewayServer } from "../../../../src/sources/api-gateway/server.ts";
import { generateEvent } from "../../../../src/sources/generate.ts";
import { fixtureRuntime } from "../../../helpers.ts";

/** Names that are Object.prototype's own: as keys of a plain object they are not data. */
const CRAFTED = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

describe("API Gateway: query and header names that are Object.prototype's (__proto__, constructor, …)", function () {
  this.timeout(30_000);
  let runtime: LocalRuntime;
  const api: DeployedApi = {
    id: "abc123defg",
    name: "LambdaAPI",
    stages: [{ name: "prod" }],
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
    ],
  };
  const get = async (path: string, rawHeaders: string[] = []) => {
    const server = new ApiGatewayServer({
      apis: [api],
      runtime,
      region: "eu-west-1",
      accountId: "123456789012",
      throttling: false,
    });
    const reply = await server.handle({
      method: "GET",
      url: new URL(path, "http://127.0.0.1"),
      host: "127.0.0.1",
      rawHeaders,
      body: Buffer.alloc(0),
      sourceIp: "127.0.0.1",
    });
    return { status: reply.status, body: reply.body.toString() };
  };

  before(() => {
    runtime = fixtureRuntime([{ fixture: "probe", name: "probe", timeoutSeconds: 5 }]);
  });

  after(async () => {
    await runtime.close();
  });

  for (const name of CRAFTED) {
    it(`passes ?${name}=… to the function as a plain query parameter (not a 500)`, async () => {
      // Act
      const response = await get(`/prod/hello?${name}=1&${name}=2&plain=x`);
      // Assess
      expect(response.status, response.body).to.equal(201);
      const event = JSON.parse(response.body);
      expect(Object.keys(event.queryStringParameters)).to.have.members([name, "plain"]);
      expect(event.queryStringParameters[name]).to.equal("2");
      expect(
        Object.getOwnPropertyDescriptor(event.multiValueQueryStringParameters, name)?.value,
      ).to.deep.equal(["1", "2"]);
    });
  }

  it("passes headers named Constructor, constructor, __proto__ and toString as plain headers", async () => {
    const response = await get("/prod/hello", [
      "Constructor",
      "a",
      "constructor",
      "b",
      "__proto__",
      "c",
      "toString",
      "d",
      "toString",
      "e",
    ]);
    expect(response.status, response.body).to.equal(201);
    const event = JSON.parse(response.body);
    expect(Object.getOwnPropertyDescriptor(event.headers, "__proto__")?.value).to.equal("c");
    expect(event.headers.Constructor).to.equal("a");
    expect(event.headers.constructor).to.equal("b");
    expect(event.headers.toString).to.equal("e");
    expect(event.multiValueHeaders.toString).to.deep.equal(["d", "e"]);
  });

  it("answers a path parameter with a malformed % escape with the function's answer, not a 500", async () => {
    const response = await get("/prod/items/%E0%A4%A");
    expect(response.status).to.equal(201);
    expect(JSON.parse(response.body).pathParameters).to.deep.equal({ id: "%E0%A4%A" });
  });

  it("keeps the names as data in an event built from plain objects (pnpm event, pnpm invoke --type)", () => {
    const query = Object.fromEntries(CRAFTED.map((name) => [name, ["1"]]));
    const headers = JSON.parse('{"Constructor":"x","__proto__":"y"}') as Record<string, string>;
    const event = apiGatewayProxyEvent({ query, headers });
    expect(Object.keys(event.queryStringParameters ?? {})).to.have.members(CRAFTED);
    expect(JSON.parse(JSON.stringify(event.queryStringParameters))).to.deep.equal(
      JSON.parse(`{${CRAFTED.map((n) => `"${n}":"1"`).join(",")}}`),
    );
    expect(Object.keys(event.headers ?? {})).to.have.members(["Constructor", "__proto__"]);
  });

  it("keeps --query and --header names as data in the CLI's generated event", () => {
    // Prepare
    const { values } = parseCommand(eventCommand, [
      "apigw",
      "--query",
      "__proto__=1",
      "--query",
      "constructor=2",
      "--query",
      "toString=x",
      "--header",
      "Constructor=c",
      "--header",
      "__proto__=p",
    ]);
    // Act
    const event = generateEvent("apigw", undefined, "123456789012", eventOptions(values));
    const sent = JSON.parse(JSON.stringify(event));
    // Assess
    expect(Object.getOwnPropertyDescriptor(sent.queryStringParameters, "__proto__")?.value).to.equal("1");
    expect(sent.queryStringParameters.constructor).to.equal("2");
    expect(sent.queryStringParameters.toString).to.equal("x");
    expect(sent.multiValueQueryStringParameters.constructor).to.deep.equal(["2"]);
    expect(sent.headers.Constructor).to.equal("c");
    expect(Object.getOwnPropertyDescriptor(sent.headers, "__proto__")?.value).to.equal("p");
  });
});
