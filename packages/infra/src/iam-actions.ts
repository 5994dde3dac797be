/** The CloudWatch namespace ec2-monitor publishes to; the IAM condition pins it. */
export const METRIC_NAMESPACE = "Custom/EC2";
