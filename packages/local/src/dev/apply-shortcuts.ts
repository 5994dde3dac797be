import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, type QueueAttributeName, SQSClient } from "@aws-sdk/client-sqs";
import type { SynthesizedStack } from "@lambdaform/infra/terraform";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import { LOCAL_ACCOUNT_ID } from "../identity.ts";

/*
 * What a local apply does so that the AWS provider's fixed waits are not paid. They are constants
 * of the provider (5.100.0), not answers of moto, whose first answer already satisfies them:
 * - after creating or changing an SQS queue's attributes it waits until six reads 5 s apart agree
 *   (`waitQueueAttributesPropagated`: at least 25 s, on the critical path of every first apply);
 * - it creates or updates functions from a local zip one at a time, holding a provider-wide lock
 *   through the 5 s wait after each (`filename`): 5 s per function, in a row.
 * So, locally only: function code goes to moto's S3 first and the functions name it there (no
 * lock: they are created side by side), and on a first apply the queues are created with the SDK,
 * exactly as the plan would create them, and Terraform adopts them with `import` blocks. The end
 * state, and every plan after it, are those of a plain apply.
 */

/** A file written beside the copy of the stack (see overrides.ts). */
interface StackFile {
  readonly name: string;
  readonly content: string;
}

/** The file of `import` blocks for the queues created before an apply (removed once it ended). */
export const QUEUE_IMPORTS_FILE = "local_queue_imports.tf.json";

/** moto's bucket for the functions' code: locally only, never in the stack or its state. */
export const FUNCTION_CODE_BUCKET = "lambdaform-local-function-code";

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const resourcesOf = (stack: SynthesizedStack) => (stack.json.resource ?? {}) as Resources;

/** Where a function's zip is kept in {@link FUNCTION_CODE_BUCKET}: by function and content. */
function codeKey(functionName: string, sourceCodeHash: string): string {
  return `${functionName}/${Buffer.from(sourceCodeHash, "base64").toString("hex")}.zip`;
}

/** The functions of a stack with a local zip: resource id, name, zip and its hash. */
function zippedFunctions(stack: SynthesizedStack) {
  return Object.entries(resourcesOf(stack).aws_lambda_function ?? {}).flatMap(([id, fn]) =>
    typeof fn.filename === "string"
      ? [
          {
            id,
            name: String(fn.function_name),
            zip: join(stack.dir, fn.filename),
            key: codeKey(String(fn.function_name), String(fn.source_code_hash ?? "")),
          },
        ]
      : [],
  );
}

/** The override that has each function take its code from {@link FUNCTION_CODE_BUCKET}. */
export function functionCodeOverride(stack: SynthesizedStack): StackFile | undefined {
  const functions = zippedFunctions(stack);
  if (functions.length === 0) return undefined;
  const aws_lambda_function = Object.fromEntries(
    functions.map((fn) => [fn.id, { filename: null, s3_bucket: FUNCTION_CODE_BUCKET, s3_key: fn.key }]),
  );
  return {
    name: "local_function_code_override.tf.json",
    content: `${JSON.stringify({ resource: { aws_lambda_function } }, null, 2)}\n`,
  };
}

/** Puts each function's zip in moto's S3 where {@link functionCodeOverride} names it (once per content). */
export async function uploadFunctionCode(stack: SynthesizedStack, moto: MotoClientConfig): Promise<void> {
  const functions = zippedFunctions(stack);
  if (functions.length === 0) return;
  // On the moto link's connection, which it shares: never destroyed.
  const s3 = new S3Client(moto);
  await s3.send(new CreateBucketCommand({ Bucket: FUNCTION_CODE_BUCKET })).catch((error: Error) => {
    if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
  });
  await Promise.all(
    functions.map(async (fn) => {
      const there = await s3
        .send(new HeadObjectCommand({ Bucket: FUNCTION_CODE_BUCKET, Key: fn.key }))
        .then(() => true)
        .catch(() => false);
      if (!there)
        await s3.send(
          new PutObjectCommand({ Bucket: FUNCTION_CODE_BUCKET, Key: fn.key, Body: readFileSync(fn.zip) }),
        );
    }),
  );
}

/** References in a policy document to a resource whose ARN its name alone determines. */
const NAMED_ARNS: Record<string, (name: string, region: string) => string> = {
  aws_cloudwatch_event_rule: (name, region) => `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${name}`,
  aws_sns_topic: (name, region) => `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${name}`,
  aws_sqs_queue: (name, region) => `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`,
  aws_lambda_function: (name, region) => `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`,
};

/**
 * The override that lets a plan know every queue's policy: in the policy documents that queues
 * use, a reference to the ARN of a resource that its name determines (an EventBridge rule, a topic,
 * a queue, a function) is replaced by that ARN as it will be here. Without it the policy is known
 * only once that resource exists, and the queue cannot be created before the apply.
 */
export function knownArnOverride(stack: SynthesizedStack, region: string): StackFile | undefined {
  const resources = resourcesOf(stack);
  const documents = ((stack.json.data as Resources | undefined)?.aws_iam_policy_document ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  const used = new Set(
    Object.values(resources.aws_sqs_queue ?? {}).flatMap((queue) => {
      const match = /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(String(queue.policy ?? ""));
      return match?.[1] ? [match[1]] : [];
    }),
  );
  const arnOf = (type: string, id: string): string | undefined => {
    const name = resources[type]?.[id]?.[type === "aws_lambda_function" ? "function_name" : "name"];
    const build = NAMED_ARNS[type];
    return build && typeof name === "string" && !name.includes("${") ? build(name, region) : undefined;
  };
  const REFERENCE = /(\$\{)?\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn\b(\})?/g;
  const replaced = (text: string) =>
    text.replace(REFERENCE, (whole, open, type: string, id: string, close) => {
      const arn = arnOf(type, id);
      if (!arn) return whole;
      // A whole interpolation becomes the text; one inside an expression a string literal.
      return open && close ? arn : `${open ?? ""}${JSON.stringify(arn)}${close ?? ""}`;
    });
  const rewrite = (value: unknown): unknown => {
    if (typeof value === "string") return replaced(value);
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === "object")
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => key !== "//")
          .map(([key, v]) => [key, rewrite(v)]),
      );
    return value;
  };
  const changed = [...used].flatMap((id) => {
    const document = documents[id];
    if (!document) return [];
    const statement = rewrite(document.statement);
    return JSON.stringify(statement) === JSON.stringify(document.statement) ? [] : [[id, { statement }]];
  });
  if (changed.length === 0) return undefined;
  return {
    name: "local_known_arn_override.tf.json",
    content: `${JSON.stringify({ data: { aws_iam_policy_document: Object.fromEntries(changed) } }, null, 2)}\n`,
  };
}

/** An `aws_sqs_queue` attribute and the SQS attribute it sets. */
const QUEUE_ATTRIBUTES: ReadonlyArray<readonly [string, QueueAttributeName]> = [
  ["delay_seconds", "DelaySeconds"],
  ["max_message_size", "MaximumMessageSize"],
  ["message_retention_seconds", "MessageRetentionPeriod"],
  ["receive_wait_time_seconds", "ReceiveMessageWaitTimeSeconds"],
  ["visibility_timeout_seconds", "VisibilityTimeout"],
  ["policy", "Policy"],
  ["redrive_policy", "RedrivePolicy"],
  ["redrive_allow_policy", "RedriveAllowPolicy"],
  ["sqs_managed_sse_enabled", "SqsManagedSseEnabled"],
  ["kms_master_key_id", "KmsMasterKeyId"],
  ["kms_data_key_reuse_period_seconds", "KmsDataKeyReusePeriodSeconds"],
  ["fifo_queue", "FifoQueue"],
  ["content_based_deduplication", "ContentBasedDeduplication"],
  ["deduplication_scope", "DeduplicationScope"],
  ["fifo_throughput_limit", "FifoThroughputLimit"],
];

/** One `resource_changes` entry of `terraform show -json <plan>`. */
interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly mode: string;
  readonly change: {
    readonly actions: ReadonlyArray<string>;
    readonly after?: Record<string, unknown>;
    readonly after_unknown?: Record<string, unknown>;
  };
}

/**
 * A queue a plan creates, as the SDK would create it; undefined when the plan does not know all of
 * what the stack sets. `configured` is the queue's block in the stack: an attribute it leaves out
 * is unknown in the plan only because the provider computes its default.
 */
export function plannedQueue(
  change: ResourceChange,
  configured: Record<string, unknown>,
):
  | { address: string; name: string; attributes: Record<string, string>; tags: Record<string, string> }
  | undefined {
  if (change.mode !== "managed" || change.type !== "aws_sqs_queue") return undefined;
  if (change.change.actions.join(",") !== "create") return undefined;
  const after = change.change.after ?? {};
  const unknown = change.change.after_unknown ?? {};
  const name = after.name;
  if (typeof name !== "string" || unknown.name) return undefined;
  const attributes: Record<string, string> = {};
  for (const [attribute, sqsName] of QUEUE_ATTRIBUTES) {
    if (unknown[attribute] === true) {
      if (configured[attribute] !== undefined) return undefined;
      // Left to the provider (computed): not sent, as Terraform would not send it.
      continue;
    }
    const value = after[attribute];
    if (value === null || value === undefined || value === "") continue;
    if (attribute === "fifo_queue" && value === false) continue;
    if (attribute === "content_based_deduplication" && value === false) continue;
    attributes[sqsName] = String(value);
  }
  const tags = (unknown.tags_all === true ? undefined : after.tags_all) ?? after.tags ?? {};
  return { address: change.address, name, attributes, tags: tags as Record<string, string> };
}

/**
 * Creates with the SDK (through the gateway, as the admin) every queue a plan creates and knows
 * whole, and returns the `import` blocks that have Terraform adopt them. Queues the plan does not
 * know whole are left to Terraform (and its wait).
 */
export async function precreateQueues(
  stack: SynthesizedStack,
  plan: { readonly resource_changes?: ReadonlyArray<ResourceChange> },
  client: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: MotoClientConfig["credentials"];
  },
): Promise<{ imports: StackFile | undefined; created: string[]; left: string[] }> {
  const queues = (plan.resource_changes ?? []).filter((c) => c.type === "aws_sqs_queue");
  const configured = resourcesOf(stack).aws_sqs_queue ?? {};
  const known = queues.flatMap((c) => {
    const queue = plannedQueue(c, configured[c.address.split(".")[1] ?? ""] ?? {});
    return queue ? [queue] : [];
  });
  const left = queues
    .filter((c) => c.change.actions.join(",") === "create" && !known.some((q) => q.address === c.address))
    .map((c) => c.address);
  if (known.length === 0) return { imports: undefined, created: [], left };
  const sqs = new SQSClient(client);
  try {
    const imports = await Promise.all(
      known.map(async (queue) => {
        const { QueueUrl } = await sqs.send(
          new CreateQueueCommand({
            QueueName: queue.name,
            Attributes: queue.attributes,
            ...(Object.keys(queue.tags).length > 0 ? { tags: queue.tags } : {}),
          }),
        );
        if (!QueueUrl) throw new Error(`creating queue ${queue.name} returned no URL`);
        return { to: queue.address, id: QueueUrl };
      }),
    );
    return {
      imports: {
        name: QUEUE_IMPORTS_FILE,
        // Not an override: an override file may only change blocks the stack has.
        content: `${JSON.stringify({ import: imports }, null, 2)}\n`,
      },
      created: known.map((q) => q.name),
      left,
    };
  } finally {
    sqs.destroy();
  }
}
