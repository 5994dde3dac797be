import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "../cdktf.ts";
import type { NodeFunction } from "./node-function.ts";
import { allowInvoke } from "./permissions.ts";
import { policyDocument } from "./policy.ts";

export interface ScheduledMonitorProps {
  readonly ruleName: string;
  readonly schedule: string;
  readonly target: NodeFunction;
  readonly retry: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
}

/**
 * The EventBridge rule `EC2MonitoringSchedule`: runs the monitor on a schedule, retries delivery,
 * and sends what it cannot deliver to the monitor's dead-letter queue.
 */
export class ScheduledMonitor extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ScheduledMonitorProps) {
    super(scope, id);
    const dlq = props.target.deadLetterQueue?.queue;
    if (!dlq)
      throw new Error(`ScheduledMonitor ${id}: the target function needs a dead-letter queue (set async)`);

    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      description: "Trigger Lambda every 5 minutes",
      scheduleExpression: props.schedule,
    });
    new CloudwatchEventTarget(this, "target", {
      rule: this.rule.name,
      arn: props.target.function.arn,
      retryPolicy: {
        maximumRetryAttempts: props.retry.maximumRetryAttempts,
        maximumEventAgeInSeconds: props.retry.maximumEventAgeSeconds,
      },
      deadLetterConfig: { arn: dlq.arn },
    });
    allowInvoke(this, "AllowEventBridgeSchedule", {
      fn: props.target.function,
      principal: "events.amazonaws.com",
      sourceArn: this.rule.arn,
    });
    new SqsQueuePolicy(this, "dlq-policy", {
      queueUrl: dlq.url,
      policy: policyDocument(this, "dlq-permissions", [
        {
          sid: "EventBridgeDeadLetters",
          actions: ["sqs:SendMessage"],
          resources: [dlq.arn],
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          conditions: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [this.rule.arn] }],
        },
      ]).json,
    });
  }
}
