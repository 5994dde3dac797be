import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "../cdktf.ts";
import type { HelloApi } from "./hello-api.ts";
import type { NodeFunction } from "./node-function.ts";

export interface AlarmsProps {
  readonly topicName: string;
  readonly alarmPrefix: string;
  readonly functions: ReadonlyArray<NodeFunction>;
  readonly api: HelloApi;
  readonly email?: string;
}

/** The tutorial's key metrics as alarms: function Errors and Throttles, API 5XX, dead letters waiting. */
export class Alarms extends Construct {
  readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", { name: props.topicName });
    if (props.email) {
      new SnsTopicSubscription(this, "email", {
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: props.email,
      });
    }
    const alarm = (
      name: string,
      description: string,
      metric: {
        namespace: string;
        metricName: string;
        dimensions: Record<string, string>;
        statistic: string;
      },
    ) =>
      new CloudwatchMetricAlarm(this, name, {
        alarmName: `${props.alarmPrefix}-${name}`,
        alarmDescription: description,
        namespace: metric.namespace,
        metricName: metric.metricName,
        dimensions: metric.dimensions,
        statistic: metric.statistic,
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
      });

    for (const fn of props.functions) {
      const role = fn.node.id;
      const dimensions = { FunctionName: fn.function.functionName };
      alarm(`${role}-errors`, `${role} failed at least once in 5 minutes`, {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions,
        statistic: "Sum",
      });
      alarm(`${role}-throttles`, `${role} was throttled at least once in 5 minutes`, {
        namespace: "AWS/Lambda",
        metricName: "Throttles",
        dimensions,
        statistic: "Sum",
      });
      if (fn.deadLetterQueue) {
        alarm(`${role}-dead-letters`, `failed ${role} events are waiting in its dead-letter queue`, {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: fn.deadLetterQueue.queue.name },
          statistic: "Maximum",
        });
      }
    }
    alarm("api-5xx", "the API answered 5XX at least once in 5 minutes", {
      namespace: "AWS/ApiGateway",
      metricName: "5XXError",
      dimensions: { ApiName: props.api.restApi.name, Stage: props.api.stage.stageName },
      statistic: "Sum",
    });
  }
}
