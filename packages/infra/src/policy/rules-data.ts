/**
 * The baseline's rules for data: S3 buckets (public access, encryption, versioning, TLS only), DynamoDB
 * tables (point-in-time recovery), and the events that must not be lost (on-failure destinations, SQS
 * encryption).
 */

import { isEveryone, readPolicy } from "./iam-documents.ts";
import { type Rule, rule } from "./rule.ts";
import {
  block,
  blocks,
  type Entry,
  functionNamed,
  isSet,
  ofBucket,
  reference,
  type Stack,
  shown,
} from "./stack-json.ts";

const PUBLIC_ACCESS_FLAGS = [
  "block_public_acls",
  "block_public_policy",
  "ignore_public_acls",
  "restrict_public_buckets",
] as const;

const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

/** Services that invoke a function asynchronously (their events go to Lambda's event queue). */
const ASYNC_PRINCIPALS = new Set([
  "s3.amazonaws.com",
  "sns.amazonaws.com",
  "events.amazonaws.com",
  "logs.amazonaws.com",
  "ses.amazonaws.com",
  "iot.amazonaws.com",
]);

/** The functions some service invokes asynchronously, each with what invokes it. */
function asynchronouslyInvoked(stack: Stack): Map<string, { fn: Entry; by: string[] }> {
  const out = new Map<string, { fn: Entry; by: string[] }>();
  const add = (fn: Entry | undefined, by: string) => {
    if (!fn) return;
    const entry = out.get(fn.id) ?? { fn, by: [] };
    if (!entry.by.includes(by)) entry.by.push(by);
    out.set(fn.id, entry);
  };
  for (const p of stack.all("aws_lambda_permission")) {
    if (ASYNC_PRINCIPALS.has(String(p.body.principal)))
      add(functionNamed(stack, p.body.function_name), String(p.body.principal));
  }
  for (const n of stack.all("aws_s3_bucket_notification")) {
    for (const l of blocks(n.body.lambda_function))
      add(functionNamed(stack, l.lambda_function_arn), n.address);
  }
  for (const t of stack.all("aws_cloudwatch_event_target")) add(functionNamed(stack, t.body.arn), t.address);
  for (const s of stack.all("aws_sns_topic_subscription")) {
    if (s.body.protocol === "lambda") add(functionNamed(stack, s.body.endpoint), s.address);
  }
  return out;
}

/** The data rules, in the order the review lists them. */
export const DATA_RULES: ReadonlyArray<Rule> = [
  rule("CKV2_AWS_6", "S3 buckets block all public access (all four flags)", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const settings = ofBucket(stack, "aws_s3_bucket_public_access_block", bucket);
      if (settings.length === 0) {
        found.add(
          bucket.address,
          "no aws_s3_bucket_public_access_block: public ACLs and policies are not blocked",
        );
      }
      for (const s of settings) {
        const off = PUBLIC_ACCESS_FLAGS.filter((flag) => s.body[flag] !== true);
        if (off.length > 0) found.add(bucket.address, `${s.address} leaves ${off.join(", ")} off`);
      }
    }
  }),

  rule("CKV_AWS_19", "S3 buckets are encrypted at rest by default", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const configs = ofBucket(stack, "aws_s3_bucket_server_side_encryption_configuration", bucket);
      if (configs.length === 0) {
        found.add(
          bucket.address,
          "no aws_s3_bucket_server_side_encryption_configuration: no default encryption",
        );
      }
      for (const c of configs) {
        const rules = blocks(c.body.rule);
        if (rules.length === 0) found.add(bucket.address, `${c.address} has no rule`);
        for (const r of rules) {
          const algorithm = block(r.apply_server_side_encryption_by_default)?.sse_algorithm;
          if (!SSE_ALGORITHMS.includes(String(algorithm))) {
            found.add(
              bucket.address,
              `${c.address}: default sse_algorithm is ${shown(algorithm)} (expected ${SSE_ALGORITHMS.join(", ")})`,
            );
          }
        }
      }
    }
  }),

  rule("CKV_AWS_21", "S3 buckets are versioned", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const configs = ofBucket(stack, "aws_s3_bucket_versioning", bucket);
      if (configs.length === 0)
        found.add(bucket.address, "no aws_s3_bucket_versioning: the bucket is not versioned");
      for (const v of configs) {
        const status = block(v.body.versioning_configuration)?.status;
        if (status !== "Enabled")
          found.add(bucket.address, `${v.address}: versioning status is ${shown(status)}`);
      }
    }
  }),

  rule("LF_TLS_ONLY", "S3 bucket policies deny every request not made over TLS", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const arns = [`\${aws_s3_bucket.${bucket.id}.arn}`];
      const name = bucket.body.bucket;
      if (isSet(name) && !name.includes("${")) arns.push(`arn:aws:s3:::${name}`);
      const policies = ofBucket(stack, "aws_s3_bucket_policy", bucket);
      if (policies.length === 0) {
        found.add(bucket.address, "no aws_s3_bucket_policy: the bucket answers requests over plain HTTP");
      }
      // Each policy resource replaces the bucket's whole policy, so each must deny plain HTTP.
      for (const p of policies) {
        const policy = readPolicy(stack, p.body.policy);
        if ("unreadable" in policy) {
          found.add(bucket.address, `${p.address} cannot be checked: ${policy.unreadable}`);
          continue;
        }
        const denies = policy.statements.some(
          (s) =>
            s.effect === "Deny" &&
            s.notActions.length === 0 &&
            s.notResources.length === 0 &&
            s.notPrincipals.length === 0 &&
            (s.actions.includes("s3:*") || s.actions.includes("*")) &&
            arns.some((arn) => s.resources.includes(arn) && s.resources.includes(`${arn}/*`)) &&
            s.principals.some(isEveryone) &&
            s.conditions.length === 1 &&
            s.conditions[0]?.test === "Bool" &&
            s.conditions[0].variable === "aws:SecureTransport" &&
            s.conditions[0].values.length === 1 &&
            s.conditions[0].values[0] === "false",
        );
        if (!denies) {
          found.add(
            bucket.address,
            `${p.address} has no statement denying s3:* on the bucket and its objects to every principal when aws:SecureTransport is false`,
          );
        }
      }
    }
  }),

  rule("CKV_AWS_28", "DynamoDB tables have point-in-time recovery", (stack, found) => {
    for (const table of stack.all("aws_dynamodb_table")) {
      const pitr = block(table.body.point_in_time_recovery);
      if (pitr?.enabled !== true) {
        found.add(
          table.address,
          `point-in-time recovery is ${pitr ? `enabled: ${shown(pitr.enabled)}` : "unset"}`,
        );
      }
    }
  }),

  rule(
    "CKV_AWS_116",
    "Asynchronously invoked functions have an SQS on-failure destination",
    (stack, found) => {
      const configs = stack.all("aws_lambda_function_event_invoke_config");
      for (const { fn, by } of asynchronouslyInvoked(stack).values()) {
        if (!configs.some((c) => functionNamed(stack, c.body.function_name)?.id === fn.id)) {
          found.add(
            fn.address,
            `invoked asynchronously (by ${by.join(", ")}) but has no aws_lambda_function_event_invoke_config: an event that fails every retry is lost`,
          );
        }
      }
      for (const c of configs) {
        const destination = block(block(c.body.destination_config)?.on_failure)?.destination;
        const ref = reference(destination);
        if (
          !(ref?.type === "aws_sqs_queue" && ref.attribute === "arn" && stack.get("aws_sqs_queue", ref.id))
        ) {
          found.add(
            c.address,
            destination === undefined
              ? "no on-failure destination"
              : `on-failure destination ${String(destination)} is not an SQS queue of this stack`,
          );
        }
      }
    },
  ),

  rule("CKV_AWS_27", "SQS queues are encrypted", (stack, found) => {
    for (const queue of stack.all("aws_sqs_queue")) {
      if (queue.body.sqs_managed_sse_enabled !== true && !isSet(queue.body.kms_master_key_id)) {
        found.add(
          queue.address,
          `not encrypted: sqs_managed_sse_enabled is ${shown(queue.body.sqs_managed_sse_enabled)} and no kms_master_key_id`,
        );
      }
    }
  }),
];
