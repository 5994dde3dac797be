import { expect } from "chai";
import { eventType } from "../../../src/sources/generate.ts";

describe("event types", () => {
  it("names the valid event types when given an unknown one", () => {
    expect(eventType("api")).to.equal("apigw");
    expect(() => eventType("sqs")).to.throw(/Unknown event type "sqs". Valid types: apigw \(api, apigateway/);
  });
});
