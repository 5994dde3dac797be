import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";

// Built once per execution environment and reused by every invocation (connection reuse).
export const ec2 = new EC2Client({});
export const cloudwatch = new CloudWatchClient({});
