import { type CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { type EC2Client, paginateDescribeInstances } from "@aws-sdk/client-ec2";
import type { Logger } from "@lambdaform/shared";

/** The metric this function publishes; the IAM policy pins the namespace with a condition. */
export const METRIC = { namespace: "Custom/EC2", name: "RunningInstances", unit: "Count" } as const;

/** DescribeInstances page size: the largest AWS allows, so big fleets take few calls. */
export const PAGE_SIZE = 1000;

export interface MonitorInstancesDeps {
  readonly ec2: Pick<EC2Client, "send">;
  readonly cloudwatch: Pick<CloudWatchClient, "send">;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** The seed's answer body. */
export interface MonitorBody {
  readonly message: "Metrics sent successfully";
  readonly running_instances: number;
  readonly timestamp: string;
}

/** Counts running instances across every page of DescribeInstances (the seed read only the first). */
export async function countRunningInstances(ec2: MonitorInstancesDeps["ec2"]): Promise<number> {
  let running = 0;
  const pages = paginateDescribeInstances(
    { client: ec2 as EC2Client, pageSize: PAGE_SIZE },
    { Filters: [{ Name: "instance-state-name", Values: ["running"] }] },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) running += reservation.Instances?.length ?? 0;
  }
  return running;
}

/** Counts running EC2 instances and publishes the count as `Custom/EC2 RunningInstances`. */
export async function monitorInstances(deps: MonitorInstancesDeps): Promise<MonitorBody> {
  const running = await countRunningInstances(deps.ec2);
  const timestamp = deps.now();
  await deps.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: METRIC.namespace,
      MetricData: [{ MetricName: METRIC.name, Value: running, Unit: METRIC.unit, Timestamp: timestamp }],
    }),
  );
  deps.logger.info(`Found ${running} running instances`, { running_instances: running });
  return {
    message: "Metrics sent successfully",
    running_instances: running,
    timestamp: timestamp.toISOString(),
  };
}
