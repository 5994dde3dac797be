import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import { expect } from "chai";
import { AlarmEvaluator } from "../../src/dev/alarms.ts";
import type { DeployedAlarm } from "../../src/dev/deployed.ts";
import { LambdaMetrics } from "../../src/dev/metrics.ts";

// A function's Errors alarm, evaluated locally against the metrics the runtime publishes to moto:
// it goes to ALARM when the function fails, back to OK once the failure is out of its period, each
// change set in moto's CloudWatch and sent to the alarm's SNS topic.
describe("alarms evaluated locally against moto's metrics", function () {
  this.timeout(60_000);
  let suite: MotoSuite | undefined;
  let cloudwatch: CloudWatchClient;
  let sqs: SQSClient;
  let queueUrl: string;
  let alarm: DeployedAlarm;
  let config: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };

  before(async function () {
    suite = await motoForSuite(this);
    config = {
      endpoint: suite.moto.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    };
    cloudwatch = new CloudWatchClient(config);
    sqs = new SQSClient(config);
    const sns = new SNSClient(config);
    const { TopicArn = "" } = await sns.send(new CreateTopicCommand({ Name: "alarms" }));
    ({ QueueUrl: queueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: "alarm-inbox" })));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes?.QueueArn }));
    alarm = {
      name: "lambdaform-test-fn-errors",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "lambdaform-test-fn" },
      statistic: "Sum",
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [TopicArn],
      okActions: [TopicArn],
    };
    // As Terraform creates it.
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarm.name,
        Namespace: alarm.namespace,
        MetricName: alarm.metricName,
        Dimensions: [{ Name: "FunctionName", Value: "lambdaform-test-fn" }],
        Statistic: "Sum",
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
        AlarmActions: [TopicArn],
        OKActions: [TopicArn],
      }),
    );
  });

  after(async () => {
    await suite?.stop();
  });

  const state = async () =>
    (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarm.name] }))).MetricAlarms?.[0];
  const notifications = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return Messages.map((m) => JSON.parse(JSON.parse(m.Body ?? "{}").Message ?? "{}"));
  };

  it("goes to ALARM when the function fails and back to OK once the failure is out of its period", async () => {
    // Prepare: a clock of the evaluator's own, and two invocations, one failing, as the runtime reports them.
    const failedAt = Date.now();
    let clock = failedAt + 1_000;
    const changes: string[] = [];
    const errors: string[] = [];
    const evaluator = new AlarmEvaluator(config as never, [alarm], {
      onError: (m) => errors.push(m),
      onChange: (name, from, to) => changes.push(`${name}: ${from} -> ${to}`),
      now: () => clock,
    });
    const metrics = new LambdaMetrics(config as never, (m) => errors.push(m));
    for (const value of [0, 1])
      metrics.add({
        type: "metric",
        functionName: "lambdaform-test-fn",
        metric: "Errors",
        value,
        timestamp: new Date(failedAt),
      });
    await metrics.flush();
    // What moto starts an alarm in (AWS says INSUFFICIENT_DATA; moto says OK).
    const initial = (await state())?.StateValue;

    // Act + Assess: the failure is in the period.
    await evaluator.tick();
    expect(errors).to.deep.equal([]);
    expect((await state())?.StateValue).to.equal("ALARM");
    expect((await state())?.StateReason).to.match(/^Threshold Crossed: 1 of the last 1 period/);
    const raised = await notifications();
    expect(raised.map((n) => [n.AlarmName, n.OldStateValue, n.NewStateValue])).to.deep.equal([
      [alarm.name, initial, "ALARM"],
    ]);

    // A second evaluation in the same state changes nothing and sends nothing.
    await evaluator.tick();
    expect(await notifications()).to.deep.equal([]);

    // Act + Assess: a period later the failure is out of the window; no data is not breaching.
    clock = failedAt + 301_000;
    await evaluator.tick();
    expect((await state())?.StateValue).to.equal("OK");
    const cleared = await notifications();
    expect(cleared.map((n) => [n.OldStateValue, n.NewStateValue])).to.deep.equal([["ALARM", "OK"]]);
    expect(changes).to.deep.equal([`${alarm.name}: ${initial} -> ALARM`, `${alarm.name}: ALARM -> OK`]);
  });

  it("publishes a watched queue's depth to AWS/SQS, as SQS does, so a dead-letter alarm goes to ALARM", async () => {
    // Prepare: a dead-letter queue with one letter, and its alarm as the stack defines it.
    const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: "lambdaform-test-fn-dlq" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "{}" }));
    const dlqAlarm: DeployedAlarm = {
      ...alarm,
      name: "lambdaform-test-fn-dead-letters",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "lambdaform-test-fn-dlq" },
      statistic: "Maximum",
    };
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: dlqAlarm.name,
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: "lambdaform-test-fn-dlq" }],
        Statistic: "Maximum",
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
      }),
    );
    const errors: string[] = [];
    const evaluator = new AlarmEvaluator(config as never, [dlqAlarm], { onError: (m) => errors.push(m) });
    // Act
    await evaluator.tick();
    // Assess
    expect(errors).to.deep.equal([]);
    const { MetricAlarms = [] } = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [dlqAlarm.name] }),
    );
    expect(MetricAlarms[0]?.StateValue).to.equal("ALARM");
  });
});
