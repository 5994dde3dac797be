import { expect } from "chai";
import { apiGatewayProxyEvent } from "../../../../src/sources/api-gateway/event.ts";
import {
  ProxyEventTemplate,
  type TemplateRequest,
} from "../../../../src/sources/api-gateway/event-template.ts";

/** The same request as apiGatewayProxyEvent's options, and as the template's input. */
interface Case {
  readonly name: string;
  readonly rawHeaders?: string[];
  readonly query?: string;
  readonly pathParameters?: Record<string, string>;
  readonly stageVariables?: Record<string, string>;
  readonly body?: string | null;
  readonly method?: string;
  readonly path?: string;
}

const CASES: Case[] = [
  { name: "no headers, no query, no body" },
  {
    name: "curl's headers",
    rawHeaders: ["Host", "127.0.0.1:4566", "User-Agent", "curl/8.5.0", "Accept", "*/*"],
  },
  {
    name: "repeated headers and names in several cases",
    rawHeaders: ["X-Tag", "a", "x-tag", "b", "X-Tag", "c", "user-agent", "one", "User-Agent", "two"],
  },
  {
    name: "names that are Object.prototype's, and numeric names",
    rawHeaders: ["__proto__", "p", "constructor", "c", "toString", "t", "123", "n", "__proto__", "q"],
    query: "__proto__=1&__proto__=2&constructor=x&7=seven",
  },
  {
    name: "values to escape",
    rawHeaders: ["X-Quote", 'say "hi"\\', "X-Unicode", "ünïcødé ✓ 🚀"],
    body: '{"a":"line\\nbreak","b":"\u2028"}',
  },
  { name: "a query with repeats, blanks and escapes", query: "tag=a&tag=b&empty=&sp=a+b&pct=%E2%9C%93" },
  {
    name: "path parameters, stage variables and a POST body",
    method: "POST",
    path: "/items/42",
    pathParameters: { id: "42" },
    stageVariables: { table: "items", version: "2" },
    body: "payload",
  },
];

describe("API Gateway event template (the v1 proxy event, written once per route)", () => {
  for (const c of CASES) {
    it(`writes exactly the event apiGatewayProxyEvent builds: ${c.name}`, () => {
      // Prepare
      const now = Date.parse("2026-11-07T09:05:03.120Z");
      const method = c.method ?? "GET";
      const path = c.path ?? "/hello";
      const resource = c.pathParameters ? "/items/{id}" : path;
      const query = new URLSearchParams(c.query ?? "");
      const headers = new Map<string, string[]>();
      const pairs = c.rawHeaders ?? [];
      for (let i = 0; i < pairs.length; i += 2)
        headers.set(pairs[i] ?? "", [...(headers.get(pairs[i] ?? "") ?? []), pairs[i + 1] ?? ""]);
      const multiQuery = new Map<string, string[]>();
      for (const [k, v] of query) multiQuery.set(k, [...(multiQuery.get(k) ?? []), v]);
      const expected = apiGatewayProxyEvent({
        method,
        path,
        resource,
        resourceId: "res001",
        stage: "prod",
        headers,
        query: multiQuery,
        pathParameters: c.pathParameters,
        stageVariables: c.stageVariables,
        body: c.body ?? null,
        sourceIp: "10.1.2.3",
        apiId: "abc123defg",
        accountId: "123456789012",
        region: "eu-west-1",
        now: new Date(now),
        requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        extendedRequestId: "ABCDEFGHIJKLMN=",
      });
      const template = new ProxyEventTemplate({
        resource,
        resourceId: "res001",
        stage: "prod",
        apiId: "abc123defg",
        accountId: "123456789012",
        region: "eu-west-1",
        stageVariables: c.stageVariables,
      });
      const request: TemplateRequest = {
        method,
        path,
        rawHeaders: pairs,
        query,
        pathParameters: c.pathParameters,
        body: c.body ?? null,
        sourceIp: "10.1.2.3",
        requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        extendedRequestId: "ABCDEFGHIJKLMN=",
        now,
      };
      // Act
      const written = template.json(request);
      // Assess: the function parses the same event, keys in the same order. (An object lists
      // integer-like keys first, so only names like "123" are written in another order.)
      expect(JSON.stringify(JSON.parse(written))).to.equal(JSON.stringify(expected));
      if (!pairs.some((name, i) => i % 2 === 0 && /^\d+$/.test(name)))
        expect(written).to.equal(JSON.stringify(expected));
    });
  }

  it("gives every event an extendedRequestId of its own, and requestTime from its own clock", () => {
    const template = new ProxyEventTemplate({
      resource: "/hello",
      resourceId: "res001",
      stage: "prod",
      apiId: "abc123defg",
      accountId: "123456789012",
      region: "eu-west-1",
    });
    const base = { method: "GET", path: "/hello", rawHeaders: [], body: null, sourceIp: "127.0.0.1" };
    const a = JSON.parse(
      template.json({ ...base, requestId: "a", now: Date.parse("2026-11-07T09:05:03.120Z") }),
    );
    const b = JSON.parse(
      template.json({ ...base, requestId: "b", now: Date.parse("2026-11-07T09:05:04.001Z") }),
    );
    expect(a.requestContext.extendedRequestId).to.match(/^[A-Za-z0-9]{14}=$/);
    expect(a.requestContext.extendedRequestId).not.to.equal(b.requestContext.extendedRequestId);
    expect(a.requestContext.requestTime).to.equal("07/Nov/2026:09:05:03 +0000");
    expect(b.requestContext.requestTime).to.equal("07/Nov/2026:09:05:04 +0000");
    expect(b.requestContext.requestTimeEpoch).to.equal(Date.parse("2026-11-07T09:05:04.001Z"));
  });
});
