import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { type MonitorInstancesDeps, monitorInstances, PAGE_SIZE } from "../src/monitor-instances.ts";
import { silentLogger } from "./fixtures.ts";

const NOW = new Date("2026-11-27T10:15:00.000Z");
const instances = (n: number) => Array.from({ length: n }, (_, i) => ({ InstanceId: `i-${i}` }));

describe("monitorInstances", () => {
  let ec2Mock: AwsClientStub<EC2Client>;
  let cloudwatchMock: AwsClientStub<CloudWatchClient>;
  const deps = (): MonitorInstancesDeps => ({
    ec2: new EC2Client({ region: "us-east-1" }),
    cloudwatch: new CloudWatchClient({ region: "us-east-1" }),
    now: () => NOW,
    logger: silentLogger,
  });

  before(() => {
    ec2Mock = mockClient(EC2Client);
    cloudwatchMock = mockClient(CloudWatchClient);
  });

  beforeEach(() => {
    ec2Mock.reset();
    cloudwatchMock.reset();
    cloudwatchMock.on(PutMetricDataCommand).resolves({});
  });

  after(() => {
    ec2Mock.restore();
    cloudwatchMock.restore();
  });

  it("counts running instances across every page and reservation", async () => {
    // Prepare
    const pages = [
      { Reservations: [{ Instances: instances(2) }, { Instances: instances(1) }], NextToken: "p2" },
      { Reservations: [{ Instances: instances(4) }], NextToken: "p3" },
      { Reservations: [{}] },
    ];
    const seen: Array<{
      NextToken?: string | undefined;
      MaxResults?: number | undefined;
      Filters?: unknown;
    }> = [];
    // The paginator reuses one input object, so record each call's input as it was sent.
    ec2Mock.on(DescribeInstancesCommand).callsFake((input) => {
      seen.push({ ...input });
      return pages[seen.length - 1];
    });
    // Act
    const body = await monitorInstances(deps());
    // Assess
    expect(body).to.deep.equal({
      message: "Metrics sent successfully",
      running_instances: 7,
      timestamp: NOW.toISOString(),
    });
    expect(seen.map((input) => input.NextToken)).to.deep.equal([undefined, "p2", "p3"]);
    expect(seen[0]).to.deep.include({
      Filters: [{ Name: "instance-state-name", Values: ["running"] }],
      MaxResults: PAGE_SIZE,
    });
  });

  it("publishes Custom/EC2 RunningInstances as a Count with a timestamp", async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: instances(3) }] });
    await monitorInstances(deps());
    expect(cloudwatchMock.commandCalls(PutMetricDataCommand)[0]?.args[0].input).to.deep.equal({
      Namespace: "Custom/EC2",
      MetricData: [{ MetricName: "RunningInstances", Value: 3, Unit: "Count", Timestamp: NOW }],
    });
  });

  it("publishes zero when nothing runs", async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({});
    expect((await monitorInstances(deps())).running_instances).to.equal(0);
  });

  it("propagates a failure instead of hiding it in a 500", async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(new Error("UnauthorizedOperation: not allowed"));
    await monitorInstances(deps()).then(
      () => expect.fail("expected the EC2 failure to propagate"),
      (error: Error) => expect(error.message).to.contain("UnauthorizedOperation"),
    );
    expect(cloudwatchMock.commandCalls(PutMetricDataCommand)).to.have.length(0);
  });
});
