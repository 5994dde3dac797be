import { expect } from "chai";
import { evaluate } from "../../../src/dev/alarms.ts";
import type { DeployedAlarm } from "../../../src/dev/deployed.ts";

const alarm = (over: Partial<DeployedAlarm> = {}): DeployedAlarm => ({
  name: "a",
  namespace: "AWS/Lambda",
  metricName: "Errors",
  dimensions: {},
  statistic: "Sum",
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  threshold: 1,
  comparison: "GreaterThanOrEqualToThreshold",
  treatMissingData: "missing",
  alarmActions: [],
  okActions: [],
  ...over,
});

describe("alarm evaluation (CloudWatch's rules)", () => {
  it("alarms when as many periods breach as datapointsToAlarm asks, M of N", () => {
    expect(evaluate(alarm(), [1, 2, 3])?.state).to.equal("ALARM");
    expect(evaluate(alarm(), [1, 0, 3])?.state).to.equal("OK");
    expect(evaluate(alarm({ datapointsToAlarm: 2 }), [1, 0, 3])?.state).to.equal("ALARM");
  });

  it("compares with the threshold as the operator says", () => {
    const one = { evaluationPeriods: 1, datapointsToAlarm: 1 };
    expect(evaluate(alarm({ ...one, comparison: "GreaterThanThreshold" }), [1])?.state).to.equal("OK");
    expect(evaluate(alarm({ ...one, comparison: "LessThanThreshold" }), [0])?.state).to.equal("ALARM");
    expect(evaluate(alarm({ ...one, comparison: "LessThanOrEqualToThreshold" }), [1])?.state).to.equal(
      "ALARM",
    );
    expect(() => evaluate(alarm({ ...one, comparison: "LessThanLowerThreshold" }), [1])).to.throw(
      /LessThanLowerThreshold is not evaluated locally/,
    );
  });

  it("treats missing data as the alarm says: missing, notBreaching, breaching, ignore", () => {
    const none = [undefined, undefined, undefined];
    expect(evaluate(alarm(), none)?.state).to.equal("INSUFFICIENT_DATA");
    expect(evaluate(alarm({ treatMissingData: "notBreaching" }), none)?.state).to.equal("OK");
    expect(evaluate(alarm({ treatMissingData: "breaching" }), none)?.state).to.equal("ALARM");
    expect(evaluate(alarm({ treatMissingData: "ignore" }), none)).to.equal(undefined); // keeps its state
    // Some data: missing periods count as the treatment says.
    expect(evaluate(alarm({ treatMissingData: "breaching" }), [5, undefined, undefined])?.state).to.equal(
      "ALARM",
    );
    expect(evaluate(alarm({ treatMissingData: "notBreaching" }), [5, undefined, 5])?.state).to.equal("OK");
  });

  it("says why, with the datapoints", () => {
    expect(evaluate(alarm({ evaluationPeriods: 1, datapointsToAlarm: 1 }), [2])?.reason).to.equal(
      "Threshold Crossed: 1 of the last 1 period(s) of 60 s (datapoints: 2) breached GreaterThanOrEqualToThreshold 1",
    );
  });
});
