import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "../cdktf.ts";

const FOURTEEN_DAYS = 14 * 24 * 3600;

/** An encrypted SQS queue that keeps failed events for 14 days (the maximum) for inspection and redrive. */
export class DeadLetterQueue extends Construct {
  readonly queue: SqsQueue;
  readonly name: string;

  constructor(scope: Construct, id: string, props: { readonly name: string }) {
    super(scope, id);
    this.name = props.name;
    this.queue = new SqsQueue(this, "queue", {
      name: props.name,
      messageRetentionSeconds: FOURTEEN_DAYS,
      sqsManagedSseEnabled: true,
    });
  }
}
