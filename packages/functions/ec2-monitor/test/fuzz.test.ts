import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import type { Context } from "aws-lambda";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import fc from "fast-check";
import { loadEvent } from "./fixtures.ts";

const context = { awsRequestId: "req-fuzz", functionName: "ec2-monitor" } as Context;

// issue #14: a scheduled function fails visibly on anything but its schedule's event.
describe("ec2-monitor under fuzzed input (fast-check; a failure prints its seed)", () => {
  let ec2Mock: AwsClientStub<EC2Client>;
  let cloudwatchMock: AwsClientStub<CloudWatchClient>;
  let handler: (event: unknown, context: Context) => Promise<unknown>;

  before(async () => {
    ec2Mock = mockClient(EC2Client);
    cloudwatchMock = mockClient(CloudWatchClient);
    ({ handler } = await import("../src/handler.ts"));
  });
  after(() => {
    ec2Mock.restore();
    cloudwatchMock.restore();
  });

  const expectVisibleFailure = async (event: unknown) => {
    const error = await handler(event, context).then(
      () => undefined,
      (e: unknown) => e,
    );
    // By name: the handler's copy of the shared package may be another module instance.
    expect(error, JSON.stringify(event)?.slice(0, 200)).to.have.property("name", "EventValidationError");
    expect((error as Error).message).to.match(/^Invalid EventBridge Scheduled Event: \S/);
    // Nothing was called: a bad event publishes no metric.
    expect(ec2Mock.calls()).to.have.length(0);
    expect(cloudwatchMock.calls()).to.have.length(0);
  };

  it("rejects arbitrary JSON with a validation error naming the field, calling nothing", async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), expectVisibleFailure), { numRuns: 200 });
  });

  it("rejects a scheduled event with one field missing, of the wrong type, null or huge, naming it", async () => {
    const fields = ["source", "detail-type", "id", "account", "region", "time", "resources"] as const;
    const wrong = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.boolean(),
      fc.constant({}),
      fc.constant(""),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), wrong, async (field, value) => {
        const event = JSON.parse(JSON.stringify(loadEvent("scheduled")));
        if (value === undefined) delete event[field];
        else event[field] = value;
        await expectVisibleFailure(event);
      }),
      { numRuns: 100 },
    );
  });
});
