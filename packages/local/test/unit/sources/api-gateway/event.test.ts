import { expect } from "chai";
import { apiGatewayProxyEvent } from "../../../../src/sources/api-gateway/event.ts";
import { golden, shape } from "../../../golden.ts";

describe("API Gateway REST proxy event, v1 (golden: AWS's documented shape)", () => {
  it("has the documented structure", () => {
    const documented = golden("apigw-proxy");
    const event = apiGatewayProxyEvent({ path: "/my/path", headers: documented.headers, stage: "Prod" });
    expect(shape(event)).to.deep.equal(shape(documented));
  });

  it("sends null for absent headers, query string and path parameters, and keeps the multi-value maps", () => {
    const bare = apiGatewayProxyEvent({});
    expect(bare).to.deep.include({
      headers: null,
      multiValueHeaders: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
    });
    const withQuery = apiGatewayProxyEvent({ query: { tag: ["a", "b"] } });
    expect(withQuery.queryStringParameters).to.deep.equal({ tag: "b" });
    expect(withQuery.multiValueQueryStringParameters).to.deep.equal({ tag: ["a", "b"] });
  });

  it("makes requestId and requestTimeEpoch new for every request", async () => {
    const a = apiGatewayProxyEvent({});
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = apiGatewayProxyEvent({});
    expect(a.requestContext.requestId).not.to.equal(b.requestContext.requestId);
    expect(b.requestContext.requestTimeEpoch).to.be.greaterThan(a.requestContext.requestTimeEpoch);
  });

  it("prefixes requestContext.path with the stage; resource and resourcePath stay the template", () => {
    const event = apiGatewayProxyEvent({
      path: "/items/42",
      resource: "/items/{id}",
      pathParameters: { id: "42" },
    });
    expect(event.requestContext.path).to.equal("/prod/items/42");
    expect(event.path).to.equal("/items/42");
    expect(event.resource).to.equal("/items/{id}");
    expect(event.requestContext.resourcePath).to.equal("/items/{id}");
    expect(event.pathParameters).to.deep.equal({ id: "42" });
  });

  it("formats requestTime as API Gateway does", () => {
    const event = apiGatewayProxyEvent({ now: new Date("2026-11-07T09:05:03.120Z") });
    expect(event.requestContext.requestTime).to.equal("07/Nov/2026:09:05:03 +0000");
    expect(event.requestContext.requestTimeEpoch).to.equal(Date.parse("2026-11-07T09:05:03.120Z"));
  });
});
