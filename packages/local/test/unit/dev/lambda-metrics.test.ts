import { CloudWatchClient, type PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { expect } from "chai";
import { LambdaMetrics } from "../../../src/dev/metrics.ts";

describe("Lambda's own metrics into CloudWatch (AWS/Lambda)", () => {
  it("sums each function's AsyncEventsDropped and the like per second, as PutMetricData data points", async () => {
    // Prepare: a client that keeps what it is sent.
    const sent: PutMetricDataCommand["input"][] = [];
    const client = new CloudWatchClient({ region: "eu-west-1" });
    client.send = (async (command: PutMetricDataCommand) => {
      sent.push(command.input);
      return {};
    }) as never;
    const errors: string[] = [];
    const metrics = new LambdaMetrics({ region: "eu-west-1" } as never, (m) => errors.push(m), client);
    const at = new Date("2026-01-01T00:00:00.250Z");
    const event = (functionName: string, metric: "AsyncEventsDropped" | "DestinationDeliveryFailures") =>
      ({ type: "metric", functionName, metric, value: 1, timestamp: at }) as const;
    // Act
    metrics.add(event("lambdaform-dev-a", "AsyncEventsDropped"));
    metrics.add(event("lambdaform-dev-a", "AsyncEventsDropped"));
    metrics.add(event("lambdaform-dev-a", "DestinationDeliveryFailures"));
    metrics.add({
      type: "notice",
      level: "error",
      code: "DestinationDeliveryFailed",
      functionName: "x",
      requestId: "r",
      message: "m",
    });
    await metrics.close();
    // Assess
    expect(errors).to.deep.equal([]);
    expect(sent).to.have.length(1);
    expect(sent[0]?.Namespace).to.equal("AWS/Lambda");
    expect(sent[0]?.MetricData).to.deep.equal([
      {
        MetricName: "AsyncEventsDropped",
        Dimensions: [{ Name: "FunctionName", Value: "lambdaform-dev-a" }],
        Timestamp: new Date("2026-01-01T00:00:00.000Z"),
        Value: 2,
        Unit: "Count",
      },
      {
        MetricName: "DestinationDeliveryFailures",
        Dimensions: [{ Name: "FunctionName", Value: "lambdaform-dev-a" }],
        Timestamp: new Date("2026-01-01T00:00:00.000Z"),
        Value: 1,
        Unit: "Count",
      },
    ]);
  });
});
