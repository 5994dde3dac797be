import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { EC2Client, RunInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { type MotoSuite, motoForSuite, withEnv } from "@lambdaform/testkit";
import type { Context } from "aws-lambda";
import { expect } from "chai";
import { loadEvent } from "./fixtures.ts";

const context = { awsRequestId: "req-1", functionName: "ec2-monitor" } as Context;
type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;

// Runs the source handler and the built bundle that ships against a real EC2 and CloudWatch (moto).
describe("ec2-monitor against moto", function () {
  this.timeout(60_000);
  let suite: MotoSuite | undefined;
  let ec2: EC2Client;
  let cloudwatch: CloudWatchClient;

  before(async function () {
    suite = await motoForSuite(this);
    ec2 = new EC2Client({});
    cloudwatch = new CloudWatchClient({});
  });

  beforeEach(async () => suite?.moto.reset());

  after(async () => suite?.stop());

  async function runInstances(count: number): Promise<string[]> {
    // One of the AMIs moto ships (listing them all is slow).
    const imageId = "ami-12c6146b";
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: "t3.micro",
        MinCount: count,
        MaxCount: count,
      }),
    );
    return (run.Instances ?? []).map((i) => i.InstanceId ?? "");
  }

  async function publishedValues(): Promise<number[]> {
    const now = Date.now();
    const stats = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "Custom/EC2",
        MetricName: "RunningInstances",
        StartTime: new Date(now - 3_600_000),
        EndTime: new Date(now + 3_600_000),
        Period: 300,
        Statistics: ["Maximum"],
      }),
    );
    return (stats.Datapoints ?? []).map((d) => d.Maximum ?? Number.NaN);
  }

  for (const [label, url] of [
    ["source", new URL("../src/handler.ts", import.meta.url)],
    ["bundle", new URL("../dist/index.mjs", import.meta.url)],
  ] as const) {
    describe(`the ${label} handler`, () => {
      let handler: Handler;

      before(async () => {
        ({ handler } = await import(`${url.href}?case=${label}`));
      });

      it("publishes the number of running instances, ignoring stopped ones", async () => {
        // Prepare
        const ids = await runInstances(5);
        await ec2.send(new StopInstancesCommand({ InstanceIds: ids.slice(0, 2) }));
        // Act
        const result = await handler(loadEvent("scheduled"), context);
        // Assess
        expect(result.statusCode).to.equal(200);
        expect(JSON.parse(result.body)).to.include({
          message: "Metrics sent successfully",
          running_instances: 3,
        });
        expect(await publishedValues()).to.deep.equal([3]);
      });

      it("throws, naming the field, when the event is not a Scheduled Event", async () => {
        const error = await handler({ ...loadEvent("scheduled"), source: "aws.s3" }, context).catch(
          (e: Error) => e,
        );
        expect(error).to.have.property("name", "EventValidationError");
        expect((error as Error).message).to.contain("source");
      });

      // Clients are built at cold start: a fresh copy of the single-file bundle picks up the new
      // endpoint, while the source's cached client module would not.
      if (label === "bundle")
        it("throws when CloudWatch cannot be reached, so Lambda counts an error", async () => {
          const restore = withEnv({
            AWS_ENDPOINT_URL_CLOUDWATCH: "http://127.0.0.1:9",
            AWS_MAX_ATTEMPTS: "1",
          });
          try {
            const { handler: cut } = await import(`${url.href}?case=${label}-unreachable`);
            const error = await cut(loadEvent("scheduled"), context).catch((e: Error) => e);
            expect(error).to.be.instanceOf(Error);
            expect((error as Error).message).to.match(/ECONNREFUSED|connect/i);
          } finally {
            restore();
          }
        });
    });
  }
});
