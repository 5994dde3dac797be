/** The CloudWatch namespace ec2-monitor publishes to; the IAM condition pins it. */
export const METRIC_NAMESPACE = "Custom/EC2";

/** IAM service prefix of each AWS SDK v3 client package (`@aws-sdk/client-<name>`). */
export const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  s3: "s3",
  dynamodb: "dynamodb",
  ec2: "ec2",
  cloudwatch: "cloudwatch",
  sqs: "sqs",
};

/**
 * SDK operations whose IAM action is not simply `<prefix>:<Operation>`. HeadObject is authorised as
 * GetObject, and as GetObjectVersion when it names a version (s3-processor passes the event's).
 */
export const ACTION_EXCEPTIONS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "s3:HeadObject": ["s3:GetObject", "s3:GetObjectVersion"],
};

/** The IAM actions one SDK operation needs, e.g. `("dynamodb", "PutItem")` → `["dynamodb:PutItem"]`. */
export function actionsFor(clientPackage: string, operation: string): ReadonlyArray<string> {
  const prefix = SERVICE_PREFIX[clientPackage];
  if (!prefix) throw new Error(`no IAM service prefix known for @aws-sdk/client-${clientPackage}`);
  const key = `${prefix}:${operation}`;
  return ACTION_EXCEPTIONS[key] ?? [key];
}

/** What Lambda itself does with a function's role: write its logs and traces. */
export const PLATFORM_ACTIONS = [
  "logs:CreateLogStream",
  "logs:PutLogEvents",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
] as const;

/** What Lambda does with the role of an asynchronously invoked function that has an SQS on-failure destination. */
export const ASYNC_DESTINATION_ACTIONS = ["sqs:SendMessage"] as const;

/**
 * Actions that AWS authorises on no specific resource: the only ones allowed `Resource: "*"`.
 */
export const NO_RESOURCE_LEVEL_ACTIONS = [
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "ec2:DescribeInstances",
  "cloudwatch:PutMetricData",
] as const;
