// The stack's CloudWatch alarms, evaluated locally as CloudWatch evaluates them: moto stores alarms
// and metrics but never evaluates one. Every few seconds each alarm's last `evaluationPeriods`
// periods are read from moto's CloudWatch (GetMetricStatistics, the alarm's statistic), each period
// compared with the threshold, missing periods treated as the alarm says, and a change of state set
// in moto (SetAlarmState, so describe-alarms and its history show it) and published to the alarm's
// SNS topics (its alarm actions on ALARM, its OK actions on OK), as CloudWatch's notification.
import {
  CloudWatchClient,
  type Datapoint,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  type MetricDatum,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type Statistic,
} from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import type { DeployedAlarm } from "./deployed.ts";

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** How often alarms are evaluated locally (CloudWatch evaluates every minute). */
export const ALARM_EVALUATION_INTERVAL_MS = 10_000;

/** Whether one period's value breaches the threshold under the alarm's comparison. */
export function breaches(alarm: DeployedAlarm, value: number): boolean {
  switch (alarm.comparison) {
    case "GreaterThanOrEqualToThreshold":
      return value >= alarm.threshold;
    case "GreaterThanThreshold":
      return value > alarm.threshold;
    case "LessThanThreshold":
      return value < alarm.threshold;
    case "LessThanOrEqualToThreshold":
      return value <= alarm.threshold;
    default:
      throw new Error(`alarm ${alarm.name}: comparison ${alarm.comparison} is not evaluated locally`);
  }
}

/** The state an alarm is in, given the statistic of each of its evaluated periods (undefined: no data). */
export function evaluate(
  alarm: DeployedAlarm,
  periods: ReadonlyArray<number | undefined>,
): { readonly state: AlarmState; readonly reason: string } | undefined {
  const present = periods.filter((v): v is number => v !== undefined);
  const missing = periods.length - present.length;
  let breaching = present.filter((v) => breaches(alarm, v)).length;
  let considered = present.length;
  switch (alarm.treatMissingData) {
    case "breaching":
      breaching += missing;
      considered = periods.length;
      break;
    case "notBreaching":
      considered = periods.length;
      break;
    case "ignore":
      // The alarm keeps its state while there is no data at all.
      if (present.length === 0) return undefined;
      break;
    default: // "missing"
      if (present.length === 0)
        return { state: "INSUFFICIENT_DATA", reason: "no datapoints in the evaluated periods" };
  }
  const shown = present.map((v) => String(v)).join(", ") || "none";
  const of = `${breaching} of the last ${considered} period(s) of ${alarm.periodSeconds} s (datapoints: ${shown})`;
  if (breaching >= alarm.datapointsToAlarm)
    return {
      state: "ALARM",
      reason: `Threshold Crossed: ${of} breached ${alarm.comparison} ${alarm.threshold}`,
    };
  return {
    state: "OK",
    reason: `Threshold not crossed: ${of} breached ${alarm.comparison} ${alarm.threshold}`,
  };
}

const STATISTIC_FIELD: Record<string, keyof Datapoint> = {
  Sum: "Sum",
  Average: "Average",
  Minimum: "Minimum",
  Maximum: "Maximum",
  SampleCount: "SampleCount",
};

/**
 * Evaluates the deployed alarms against moto's metrics, on a timer or on demand ({@link tick}),
 * with its own clock so a test can move time on by a period.
 */
export class AlarmEvaluator {
  private readonly cloudwatch: CloudWatchClient;
  private readonly sns: SNSClient;
  private readonly sqs: SQSClient;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    moto: MotoClientConfig,
    private alarms: ReadonlyArray<DeployedAlarm>,
    private readonly options: {
      readonly onError: (message: string) => void;
      readonly onChange?: (alarm: string, from: string, to: AlarmState, reason: string) => void;
      readonly now?: () => number;
    },
  ) {
    this.cloudwatch = new CloudWatchClient(moto);
    this.sns = new SNSClient(moto);
    this.sqs = new SQSClient(moto);
  }

  /** The alarms of a new deployment. */
  use(alarms: ReadonlyArray<DeployedAlarm>): void {
    this.alarms = alarms;
  }

  start(intervalMs = ALARM_EVALUATION_INTERVAL_MS): void {
    this.timer ??= setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Evaluates every alarm once; a failure is reported and the others still run. */
  async tick(): Promise<void> {
    await this.publishQueueDepths();
    for (const alarm of this.alarms)
      try {
        await this.evaluateOne(alarm);
      } catch (error) {
        this.options.onError(`alarm ${alarm.name} could not be evaluated: ${(error as Error).message}`);
      }
  }

  /**
   * SQS publishes each queue's `ApproximateNumberOfMessagesVisible` to `AWS/SQS` every minute; moto
   * publishes nothing, so the queues the alarms watch (the dead-letter queues) are read here first.
   */
  private async publishQueueDepths(): Promise<void> {
    const queues = new Set(
      this.alarms
        .filter((a) => a.namespace === "AWS/SQS" && a.metricName === "ApproximateNumberOfMessagesVisible")
        .map((a) => a.dimensions.QueueName)
        .filter((name): name is string => typeof name === "string"),
    );
    if (queues.size === 0) return;
    const now = new Date(this.options.now?.() ?? Date.now());
    const data: MetricDatum[] = [];
    for (const QueueName of queues)
      try {
        const { QueueUrl } = await this.sqs.send(new GetQueueUrlCommand({ QueueName }));
        const { Attributes } = await this.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
        );
        data.push({
          MetricName: "ApproximateNumberOfMessagesVisible",
          Dimensions: [{ Name: "QueueName", Value: QueueName }],
          Timestamp: now,
          Value: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
          Unit: "Count",
        });
      } catch (error) {
        this.options.onError(`queue ${QueueName}'s depth could not be read: ${(error as Error).message}`);
      }
    if (data.length > 0)
      await this.cloudwatch.send(new PutMetricDataCommand({ Namespace: "AWS/SQS", MetricData: data }));
  }

  private async evaluateOne(alarm: DeployedAlarm): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    const periodMs = alarm.periodSeconds * 1000;
    const start = now - alarm.evaluationPeriods * periodMs;
    const { Datapoints = [] } = await this.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: alarm.namespace,
        MetricName: alarm.metricName,
        Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
        StartTime: new Date(start),
        // Inclusive of this second: a datapoint stamped now (a queue's depth just read) counts.
        EndTime: new Date(now + 1000),
        Period: alarm.periodSeconds,
        Statistics: [alarm.statistic as Statistic],
      }),
    );
    // One value per evaluated period, oldest first, by the period each datapoint starts in.
    const field = STATISTIC_FIELD[alarm.statistic] ?? "Sum";
    const periods: Array<number | undefined> = Array.from(
      { length: alarm.evaluationPeriods },
      () => undefined,
    );
    for (const point of Datapoints) {
      const at = point.Timestamp?.getTime() ?? 0;
      const index = Math.floor((at - start) / periodMs);
      const value = point[field];
      if (index >= 0 && index < periods.length && typeof value === "number")
        periods[index] = (periods[index] ?? 0) + value;
    }
    const next = evaluate(alarm, periods);
    if (!next) return;
    const { MetricAlarms = [] } = await this.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarm.name] }),
    );
    const current = MetricAlarms[0]?.StateValue ?? "INSUFFICIENT_DATA";
    if (current === next.state) return;
    await this.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: alarm.name, StateValue: next.state, StateReason: next.reason }),
    );
    this.options.onChange?.(alarm.name, current, next.state, next.reason);
    const topics = next.state === "ALARM" ? alarm.alarmActions : next.state === "OK" ? alarm.okActions : [];
    const message = JSON.stringify({
      AlarmName: alarm.name,
      NewStateValue: next.state,
      NewStateReason: next.reason,
      OldStateValue: current,
      StateChangeTime: new Date(now).toISOString(),
      Trigger: {
        MetricName: alarm.metricName,
        Namespace: alarm.namespace,
        Statistic: alarm.statistic,
        Period: alarm.periodSeconds,
        EvaluationPeriods: alarm.evaluationPeriods,
        ComparisonOperator: alarm.comparison,
        Threshold: alarm.threshold,
        TreatMissingData: alarm.treatMissingData,
        Dimensions: Object.entries(alarm.dimensions).map(([name, value]) => ({ name, value })),
      },
    });
    for (const TopicArn of topics.filter((arn) => arn.startsWith("arn:") && arn.includes(":sns:")))
      await this.sns.send(
        new PublishCommand({ TopicArn, Subject: `${next.state}: "${alarm.name}"`, Message: message }),
      );
  }
}
