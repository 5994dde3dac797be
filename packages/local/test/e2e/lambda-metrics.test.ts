import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  type Statistic,
} from "@aws-sdk/client-cloudwatch";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import { expect } from "chai";
import { LambdaMetrics } from "../../src/dev/metrics.ts";
import { MotoLink } from "../../src/gateway/moto-link.ts";
import type { LocalRuntime } from "../../src/runtime/local-runtime.ts";
import { fixtureRuntime } from "../helpers.ts";

describe("Lambda's own metrics (AWS/Lambda) from the runtime, in moto's CloudWatch", function () {
  this.timeout(60_000);
  let suite: MotoSuite | undefined;
  let runtime: LocalRuntime | undefined;
  let cloudwatch: CloudWatchClient;
  const errors: string[] = [];

  before(async function () {
    suite = await motoForSuite(this);
    const config = {
      endpoint: suite.moto.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    };
    cloudwatch = new CloudWatchClient(config);
    const metrics = new LambdaMetrics(config as never, (message) => errors.push(message));
    runtime = fixtureRuntime(
      [
        { fixture: "probe", name: "metered" },
        { fixture: "probe", name: "queued", async: { retries: 0, queue: "lambdaform-test-queued-dlq" } },
      ],
      { onEvent: (event) => metrics.add(event) },
    );
    const fn = runtime.function("metered");
    // Three invocations, one failing, two at once; then an asynchronous one.
    await fn.invoke({ action: "sleep", ms: 30 });
    await Promise.all([
      fn.invoke({ action: "sleep", ms: 60 }),
      fn.invoke({ action: "throw", message: "no" }),
    ]);
    await runtime.function("queued").invokeAsync({ action: "sleep", ms: 1 }).completion;
    // API Gateway's requests, as the API server reports them.
    const at = new Date();
    for (const [status, latencyMs] of [
      [200, 12],
      [200, 30],
      [403, 1],
      [502, 8],
    ] as const)
      metrics.addApiRequest({
        apiName: "LambdaAPI",
        stage: "prod",
        status,
        latencyMs,
        ...(status === 403 ? {} : { integrationLatencyMs: latencyMs - 1 }),
        timestamp: at,
      });
    await metrics.close();
  });

  after(async () => {
    await runtime?.close();
    await suite?.stop();
  });

  const statistics = async (
    functionName: string,
    MetricName: string,
    Statistics: Statistic[],
    Namespace = "AWS/Lambda",
    Dimensions = [{ Name: "FunctionName", Value: functionName }],
  ) => {
    const now = Date.now();
    const { Datapoints = [] } = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace,
        MetricName,
        Dimensions,
        StartTime: new Date(now - 10 * 60_000),
        EndTime: new Date(now + 60_000),
        Period: 3600,
        Statistics,
      }),
    );
    expect(Datapoints, `${MetricName} of ${functionName}`).to.have.length(1);
    return Datapoints[0] ?? {};
  };

  it("counts invocations and errors per function, as get-metric-statistics reads them", async () => {
    expect(errors).to.deep.equal([]);
    const name = "lambdaform-test-metered";
    expect((await statistics(name, "Invocations", ["Sum"])).Sum).to.equal(3);
    expect((await statistics(name, "Errors", ["Sum"])).Sum).to.equal(1);
    // A function that ran without failing has Errors data too (0), so an alarm on it sees data.
    expect((await statistics("lambdaform-test-queued", "Errors", ["Sum"])).Sum).to.equal(0);
  });

  it("publishes Duration as a statistic set: every invocation's time in its count, minimum and maximum", async () => {
    const duration = await statistics("lambdaform-test-metered", "Duration", [
      "SampleCount",
      "Minimum",
      "Maximum",
      "Average",
    ]);
    expect(duration.SampleCount).to.equal(3);
    expect(duration.Unit).to.equal("Milliseconds");
    expect(duration.Minimum).to.be.below(30); // the throw
    expect(duration.Maximum).to.be.at.least(50); // the 60 ms sleep (timers may fire a little early)
  });

  it("reports the concurrency reached (two at once) as ConcurrentExecutions' maximum", async () => {
    expect(
      (await statistics("lambdaform-test-metered", "ConcurrentExecutions", ["Maximum"])).Maximum,
    ).to.equal(2);
  });

  it("counts an asynchronous event received and its age before the attempt", async () => {
    const name = "lambdaform-test-queued";
    expect((await statistics(name, "AsyncEventsReceived", ["Sum"])).Sum).to.equal(1);
    const age = await statistics(name, "AsyncEventAge", ["SampleCount", "Maximum"]);
    expect(age.SampleCount).to.equal(1);
    expect(age.Maximum).to.be.at.least(0).and.below(5_000);
    expect((await statistics(name, "Invocations", ["Sum"])).Sum).to.equal(1);
  });

  it("publishes API Gateway's Count, 4XXError, 5XXError, Latency and IntegrationLatency by API and by stage", async () => {
    const api = (metric: string, statistic: Statistic, stage?: string) =>
      statistics("LambdaAPI", metric, [statistic], "AWS/ApiGateway", [
        { Name: "ApiName", Value: "LambdaAPI" },
        ...(stage ? [{ Name: "Stage", Value: stage }] : []),
      ]).then((point) => point[statistic]);
    expect(await api("Count", "Sum", "prod")).to.equal(4);
    expect(await api("4XXError", "Sum", "prod")).to.equal(1);
    expect(await api("5XXError", "Sum", "prod")).to.equal(1);
    expect(await api("Latency", "Maximum", "prod")).to.equal(30);
    expect(await api("IntegrationLatency", "SampleCount", "prod")).to.equal(3);
    // Both series exist, as API Gateway publishes them (moto sums a query by ApiName alone over both,
    // where CloudWatch matches the dimension set exactly).
    const { Metrics = [] } = await cloudwatch.send(
      new ListMetricsCommand({ Namespace: "AWS/ApiGateway", MetricName: "Count" }),
    );
    expect(Metrics.map((m) => (m.Dimensions ?? []).map((d) => d.Name).join("+")).sort()).to.deep.equal([
      "ApiName",
      "ApiName+Stage",
    ]);
  });

  it("writes a flush past 10 KiB, which the SDK gzips, over the moto link: every request of a busy minute counted", async () => {
    // Prepare: a minute of API traffic, one request each 100 ms: 600 seconds' worth of points,
    // about 60 KB of PutMetricData. moto 5.2.1 answers a gzipped body with an HTML 500.
    const link = new MotoLink(suite?.moto.endpoint ?? "");
    const busy: string[] = [];
    const metrics = new LambdaMetrics(link.clientConfig("us-east-1"), (message) => busy.push(message));
    const start = Date.now() - 10 * 60_000;
    try {
      for (let i = 0; i < 600; i++)
        metrics.addApiRequest({
          apiName: "BusyAPI",
          stage: "prod",
          status: 200,
          latencyMs: 5,
          integrationLatencyMs: 4,
          timestamp: new Date(start + i * 1000),
        });
      // Act
      await metrics.close();
    } finally {
      link.close();
    }
    // Assess
    expect(busy).to.deep.equal([]);
    const { Datapoints = [] } = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/ApiGateway",
        MetricName: "Count",
        Dimensions: [
          { Name: "ApiName", Value: "BusyAPI" },
          { Name: "Stage", Value: "prod" },
        ],
        StartTime: new Date(start - 60_000),
        EndTime: new Date(),
        Period: 3600,
        Statistics: ["Sum"],
      }),
    );
    expect(Datapoints.reduce((n, p) => n + (p.Sum ?? 0), 0)).to.equal(600);
  });
});
