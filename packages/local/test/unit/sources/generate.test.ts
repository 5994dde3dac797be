import { readFileSync } from "node:fs";
import { decodeS3Key } from "@lambdaform/shared";
import { expect } from "chai";
import {
  apiGatewayProxyEvent,
  eventType,
  nextSequencer,
  s3PutEvent,
  scheduledEvent,
} from "../src/events/index.ts";

const golden = (name: string) =>
  JSON.parse(readFileSync(new URL(`./golden/${name}.json`, import.meta.url), "utf8"));

/** Every key, and the kind of every value: what must match AWS's documented shape. */
function shape(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "empty array" : [shape(value[0])];
  if (typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shape(v)]),
    );
  }
  return typeof value;
}

describe("event generators (golden: AWS's documented shapes)", () => {
  describe("S3 Put", () => {
    it("has the documented structure", () => {
      const event = s3PutEvent({ bucket: "b", key: "uploads/a.txt", size: 3, versionId: "v1" });
      expect(shape(event)).to.deep.equal(shape(golden("s3-put")));
    });

    it("form-URL encodes the key: space → +, + → %2B, / kept, unicode percent-encoded", () => {
      const key = "uploads/my report+2024/日本語 café.txt";
      const encoded = s3PutEvent({ bucket: "b", key }).Records[0]?.s3.object.key;
      expect(encoded).to.equal("uploads/my+report%2B2024/%E6%97%A5%E6%9C%AC%E8%AA%9E+caf%C3%A9.txt");
      expect(decodeS3Key(encoded ?? "")).to.equal(key);
    });

    it("gives hexadecimal sequencers that increase, even within one millisecond", () => {
      const sequencers = Array.from({ length: 50 }, () => nextSequencer(1_800_000_000_000));
      for (const s of sequencers) expect(s).to.match(/^[0-9A-F]+$/);
      for (let i = 1; i < sequencers.length; i++)
        expect((sequencers[i] ?? "") > (sequencers[i - 1] ?? "")).to.equal(true);
    });

    it("carries versionId only for versioned buckets, and the bucket's real ARN", () => {
      const unversioned = s3PutEvent({ bucket: "lambdaform-dev-uploads-x", key: "uploads/a.txt" }).Records[0]
        ?.s3;
      expect(unversioned?.object).not.to.have.property("versionId");
      expect(unversioned?.bucket.arn).to.equal("arn:aws:s3:::lambdaform-dev-uploads-x");
      const versioned = s3PutEvent({ bucket: "b", key: "k", versionId: "abc" }).Records[0]?.s3.object;
      expect(versioned?.versionId).to.equal("abc");
    });
  });

  describe("API Gateway REST proxy (v1)", () => {
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

  describe("EventBridge Scheduled Event", () => {
    it("has the documented structure", () => {
      expect(shape(scheduledEvent({}))).to.deep.equal(shape(golden("scheduled")));
    });

    it("carries the rule ARN, a 12-digit account, the time without milliseconds and an empty detail", () => {
      const event = scheduledEvent({
        ruleArn: "arn:aws:events:eu-west-1:210987654321:rule/r",
        account: "210987654321",
        region: "eu-west-1",
        time: new Date("2026-11-27T10:15:00.789Z"),
      });
      expect(event).to.deep.include({
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: "210987654321",
        time: "2026-11-27T10:15:00Z",
        region: "eu-west-1",
        resources: ["arn:aws:events:eu-west-1:210987654321:rule/r"],
        detail: {},
      });
      expect(() => scheduledEvent({ account: "12345" })).to.throw(/12 digits/);
    });
  });

  it("names the valid event types when given an unknown one", () => {
    expect(eventType("api")).to.equal("apigw");
    expect(() => eventType("sqs")).to.throw(/Unknown event type "sqs". Valid types: apigw \(api, apigateway/);
  });
});
