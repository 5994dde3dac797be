import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Construct } from "../cdktf.ts";
import { siblingArn } from "./arn.ts";
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
    // The queue's own policy, set on the queue rather than as a separate aws_sqs_queue_policy: the
    // AWS provider waits about 25 s for a queue's attributes to propagate after each write, and a
    // separate policy resource would add a second wait after the queue's own.
    dlq.policy = policyDocument(this, "dlq-permissions", [
      {
        sid: "EventBridgeDeadLetters",
        actions: ["sqs:SendMessage"],
        resources: [siblingArn(this.rule.arn, "sqs", props.target.deadLetterQueue?.name ?? "")],
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        conditions: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [this.rule.arn] }],
      },
    ]).json;
  }
}
