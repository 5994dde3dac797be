import { readFileSync } from "node:fs";
import { expect } from "chai";
import {
  EventValidationError,
  parseApiGatewayProxyEvent,
  parseS3Event,
  parseScheduledEvent,
} from "../src/index.ts";

const s3Put = () => JSON.parse(readFileSync(new URL("./events/s3-put.json", import.meta.url), "utf8"));

function expectInvalid(parse: () => unknown, path: string, reason?: RegExp): void {
  try {
    parse();
  } catch (error) {
    expect(error).to.be.instanceOf(EventValidationError);
    const failure = error as EventValidationError;
    expect(failure.path).to.equal(path);
    expect(failure.message).to.contain(path);
    if (reason) expect(failure.reason).to.match(reason);
    return;
  }
  expect.fail(`expected a validation error at ${path}`);
}

describe("parseS3Event", () => {
  it("accepts a real ObjectCreated event and keeps every field", () => {
    // Act
    const event = parseS3Event(s3Put());
    // Assess
    expect(event.Records).to.have.length(2);
    expect(event.Records[0]?.s3.object.key).to.equal("uploads/my+report%2B2024.txt");
    expect((event.Records[0] as Record<string, unknown>).awsRegion).to.equal("us-east-1");
  });

  it("names the path of a bad key in a later record", () => {
    // Prepare
    const event = s3Put();
    event.Records.push(structuredClone(event.Records[0]));
    event.Records[2].s3.object.key = 42;
    // Act + Assess
    expectInvalid(() => parseS3Event(event), "Records[2].s3.object.key", /expected string/);
  });

  it("rejects an event that is not from S3", () => {
    expectInvalid(() => parseS3Event({ httpMethod: "GET" }), "Records");
    const event = s3Put();
    event.Records[0].eventSource = "aws:sqs";
    expectInvalid(() => parseS3Event(event), "Records[0].eventSource", /aws:s3/);
  });

  it("rejects an empty record list, a non-create event and a non-hex sequencer", () => {
    expectInvalid(() => parseS3Event({ Records: [] }), "Records", /at least one/);
    const removed = s3Put();
    removed.Records[1].eventName = "ObjectRemoved:Delete";
    expectInvalid(() => parseS3Event(removed), "Records[1].eventName", /ObjectCreated/);
    const badSequencer = s3Put();
    badSequencer.Records[0].s3.object.sequencer = "not-hex";
    expectInvalid(() => parseS3Event(badSequencer), "Records[0].s3.object.sequencer", /hexadecimal/);
  });

  it("rejects null and non-object input", () => {
    expectInvalid(() => parseS3Event(null), "");
    expectInvalid(() => parseS3Event("Records"), "");
  });
});

describe("parseApiGatewayProxyEvent", () => {
  const minimal = {
    resource: "/hello",
    path: "/hello",
    httpMethod: "GET",
    headers: null,
    multiValueHeaders: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      identity: { sourceIp: "203.0.113.10" },
    },
    body: null,
    isBase64Encoded: false,
  };

  it("accepts null header, query and path maps", () => {
    const event = parseApiGatewayProxyEvent(minimal);
    expect(event.headers).to.equal(null);
    expect(event.requestContext.identity?.sourceIp).to.equal("203.0.113.10");
  });

  it("names the missing field of a non-API Gateway event", () => {
    expectInvalid(() => parseApiGatewayProxyEvent({ Records: [] }), "httpMethod");
    expectInvalid(
      () => parseApiGatewayProxyEvent({ ...minimal, requestContext: undefined }),
      "requestContext",
    );
    expectInvalid(() => parseApiGatewayProxyEvent({ ...minimal, headers: { Host: 7 } }), "headers.Host");
  });

  it("gives every map a null prototype, keeping __proto__, constructor and toString as plain entries", () => {
    // Prepare: JSON makes `__proto__` an own key, as an event arriving over the wire has it.
    const input = JSON.parse(
      JSON.stringify({
        ...minimal,
        headers: { "User-Agent": "curl/8.5.0", constructor: "c", toString: "t" },
        queryStringParameters: { name: "n" },
        multiValueHeaders: { constructor: ["c"] },
      })
        .replace('"headers":{', '"headers":{"__proto__":"p",')
        .replace('"queryStringParameters":{', '"queryStringParameters":{"__proto__":"q",'),
    );
    // Act
    const event = parseApiGatewayProxyEvent(input);
    // Assess
    for (const map of [event.headers, event.queryStringParameters, event.multiValueHeaders])
      expect(Object.getPrototypeOf(map)).to.equal(null);
    expect(Object.entries(event.headers ?? {})).to.deep.equal([
      ["__proto__", "p"],
      ["User-Agent", "curl/8.5.0"],
      ["constructor", "c"],
      ["toString", "t"],
    ]);
    expect(Object.entries(event.queryStringParameters ?? {})).to.deep.equal([
      ["__proto__", "q"],
      ["name", "n"],
    ]);
    expect(event.multiValueHeaders?.constructor).to.deep.equal(["c"]);
    expect(event.pathParameters).to.equal(null);
  });

  it("rejects a value that is not a string in any map, under __proto__ too, naming it", () => {
    const smuggle = (field: string, value: string) =>
      JSON.parse(
        JSON.stringify({ ...minimal, [field]: {} }).replace(
          `"${field}":{}`,
          `"${field}":{"__proto__":${value}}`,
        ),
      );
    expectInvalid(
      () => parseApiGatewayProxyEvent(smuggle("headers", '{"Authorization":"Bearer t"}')),
      "headers.__proto__",
      /expected string, received object/,
    );
    expectInvalid(
      () => parseApiGatewayProxyEvent(smuggle("queryStringParameters", "[1]")),
      "queryStringParameters.__proto__",
      /received array/,
    );
    expectInvalid(
      () => parseApiGatewayProxyEvent(smuggle("stageVariables", "7")),
      "stageVariables.__proto__",
    );
    expectInvalid(
      () => parseApiGatewayProxyEvent(smuggle("multiValueQueryStringParameters", '"x"')),
      "multiValueQueryStringParameters.__proto__",
      /array of strings/,
    );
  });
});

describe("parseScheduledEvent", () => {
  const scheduled = {
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: "2026-11-27T10:15:00Z",
    region: "us-east-1",
    resources: ["arn:aws:events:us-east-1:123456789012:rule/EC2MonitoringSchedule"],
    detail: {},
  };

  it("accepts an EventBridge Scheduled Event", () => {
    expect(parseScheduledEvent(scheduled).resources).to.have.length(1);
  });

  it("quotes a key that is not an identifier in the error path", () => {
    expectInvalid(() => parseScheduledEvent({ ...scheduled, "detail-type": "Other" }), '["detail-type"]');
  });
});
