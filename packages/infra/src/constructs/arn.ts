import { Fn } from "../cdktf.ts";

/**
 * The ARN of another resource in the same partition, region and account as `arn` (a reference to
 * an existing resource's ARN, e.g. a log group's), built by Terraform's own functions at plan time.
 *
 * Referring to a queue by a built ARN rather than by `queue.arn` lets a policy be written without
 * waiting for the queue: the AWS provider waits about 25 s after creating an SQS queue for its
 * attributes to propagate (six equal reads 5 s apart), and a policy that references the queue's
 * ARN, and everything that depends on that policy, waits with it.
 *
 * @example
 * siblingArn(logGroup.arn, "sqs", "lambdaform-dev-s3-processor-dlq")
 * // ${join(":", ["arn", element(split(":", <log group arn>), 1), "sqs", element(…, 3), element(…, 4), "lambdaform-dev-s3-processor-dlq"])}
 */
export function siblingArn(arn: string, service: string, resource: string): string {
  const part = (index: number) => Fn.element(Fn.split(":", arn), index);
  return Fn.join(":", ["arn", part(1), service, part(3), part(4), resource]);
}
