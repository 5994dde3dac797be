import { expect } from "chai";
import { scheduledEvent } from "../../../../src/sources/schedule/event.ts";
import { golden, shape } from "../../../golden.ts";

describe("EventBridge Scheduled Event (golden: AWS's documented shape)", () => {
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
