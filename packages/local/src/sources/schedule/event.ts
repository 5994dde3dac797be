import { randomUUID } from "node:crypto";
import type { ScheduledEvent } from "aws-lambda";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../../identity.ts";

export interface ScheduledOptions {
  readonly ruleArn?: string;
  readonly region?: string;
  readonly account?: string;
  readonly time?: Date;
}

/**
 * An EventBridge "Scheduled Event" as a `rate(...)` or `cron(...)` rule delivers it: a 12-digit
 * account, the rule's ARN in `resources`, the time without milliseconds, and an empty `detail`.
 */
export function scheduledEvent(options: ScheduledOptions = {}): ScheduledEvent {
  const region = options.region ?? LOCAL_REGION;
  const account = options.account ?? LOCAL_ACCOUNT_ID;
  if (!/^\d{12}$/.test(account)) throw new Error(`account must be 12 digits, got "${account}"`);
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account,
    time: (options.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [options.ruleArn ?? `arn:aws:events:${region}:${account}:rule/EC2MonitoringSchedule`],
    detail: {},
  };
}
