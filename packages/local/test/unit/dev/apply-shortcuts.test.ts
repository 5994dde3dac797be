import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SynthesizedStack, synthesize } from "@lambdaform/infra";
import { expect } from "chai";
import {
  FUNCTION_CODE_BUCKET,
  functionCodeOverride,
  knownArnOverride,
  plannedQueue,
} from "../../../src/dev/apply-shortcuts.ts";

// What a local apply does to spare the AWS provider's fixed waits, on the real dev stack's synth.
describe("apply shortcuts: function code from moto's S3, queue policies a plan knows", () => {
  let outdir: string;
  let stack: SynthesizedStack;

  before(() => {
    outdir = mkdtempSync(join(tmpdir(), "lf-shortcuts-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    const dir = join(outdir, "stacks", "lambdaform-dev");
    stack = { name: "lambdaform-dev", dir, json: JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) };
  });

  after(() => rmSync(outdir, { recursive: true, force: true }));

  it("has every function take its code from the local bucket, keyed by its name and content, instead of a file", () => {
    // Act
    const override = JSON.parse(functionCodeOverride(stack)?.content ?? "{}");
    // Assess
    const functions =
      (stack.json.resource as Record<string, Record<string, Record<string, unknown>>>).aws_lambda_function ??
      {};
    expect(Object.keys(override.resource.aws_lambda_function).sort()).to.deep.equal(
      Object.keys(functions).sort(),
    );
    for (const [id, fn] of Object.entries(functions)) {
      const hex = Buffer.from(String(fn.source_code_hash), "base64").toString("hex");
      expect(override.resource.aws_lambda_function[id]).to.deep.equal({
        filename: null,
        s3_bucket: FUNCTION_CODE_BUCKET,
        s3_key: `${fn.function_name}/${hex}.zip`,
      });
    }
  });

  it("writes the EventBridge rule's ARN into the monitor DLQ's policy document, whole and inside expressions", () => {
    // Act
    const override = JSON.parse(knownArnOverride(stack, "eu-west-1")?.content ?? "{}");
    // Assess: only documents that queues use, with no reference to the rule left.
    const documents = override.data.aws_iam_policy_document;
    expect(Object.keys(documents)).to.have.length(1);
    const text = JSON.stringify(documents);
    expect(text).not.to.match(/aws_cloudwatch_event_rule\./);
    const rule = "arn:aws:events:eu-west-1:123456789012:rule/lambdaform-dev-EC2MonitoringSchedule";
    const [statement] = (Object.values(documents)[0] as { statement: Array<Record<string, unknown>> })
      .statement;
    expect(statement?.condition).to.deep.equal([
      { test: "ArnEquals", values: [rule], variable: "aws:SourceArn" },
    ]);
    // Inside the built queue ARN's expression, a quoted string literal.
    expect(String((statement?.resources as string[] | undefined)?.[0])).to.contain(`split(":", "${rule}")`);
  });

  describe("a queue as the plan creates it", () => {
    const change = (after: Record<string, unknown>, afterUnknown: Record<string, unknown> = {}) => ({
      address: "aws_sqs_queue.q",
      type: "aws_sqs_queue",
      mode: "managed",
      change: { actions: ["create"], after, after_unknown: afterUnknown },
    });

    it("takes every known attribute, as SQS names them, with the tags Terraform would set", () => {
      const queue = plannedQueue(
        change(
          {
            name: "q",
            delay_seconds: 0,
            message_retention_seconds: 1209600,
            sqs_managed_sse_enabled: true,
            policy: '{"Version":"2012-10-17"}',
            fifo_queue: false,
            tags_all: { stage: "dev" },
          },
          { kms_data_key_reuse_period_seconds: true, redrive_policy: true },
        ),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform interpolation
        { name: "q", policy: "${data.aws_iam_policy_document.d.json}" },
      );
      expect(queue).to.deep.equal({
        address: "aws_sqs_queue.q",
        name: "q",
        attributes: {
          DelaySeconds: "0",
          MessageRetentionPeriod: "1209600",
          SqsManagedSseEnabled: "true",
          Policy: '{"Version":"2012-10-17"}',
        },
        tags: { stage: "dev" },
      });
    });

    it("is left to Terraform when the plan does not know something the stack sets", () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform interpolation
      expect(plannedQueue(change({ name: "q" }, { policy: true }), { name: "q", policy: "${x}" })).to.equal(
        undefined,
      );
      expect(plannedQueue(change({}, { name: true }), {})).to.equal(undefined);
      const update = { ...change({ name: "q" }), change: { actions: ["update"], after: { name: "q" } } };
      expect(plannedQueue(update, { name: "q" })).to.equal(undefined);
    });
  });
});
