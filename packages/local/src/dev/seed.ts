import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import type { MotoClientConfig } from "../gateway/moto-link.ts";

/** One of the images moto ships. */
const SEED_IMAGE = "ami-12c6146b";

/** Runs `count` instances in moto when none is running, so the monitor has something to count. */
export async function seedInstances(moto: MotoClientConfig, count: number): Promise<void> {
  if (count <= 0) return;
  const ec2 = new EC2Client(moto);
  const running = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["running"] }] }),
  );
  if ((running.Reservations ?? []).some((r) => (r.Instances ?? []).length > 0)) return;
  await ec2.send(
    new RunInstancesCommand({
      ImageId: SEED_IMAGE,
      InstanceType: "t3.micro",
      MinCount: count,
      MaxCount: count,
    }),
  );
}
