import { expect } from "chai";
import { NO_RESOURCE_LEVEL_ACTIONS } from "../src/iam-actions.ts";
import { type PolicyStatement, type SynthStack, synthOnce } from "./helpers.ts";

/** Every IAM statement of the stack: role policies, bucket and queue policies (not trust policies). */
function allPermissionStatements(stack: SynthStack): Array<PolicyStatement & { source: string }> {
  const out: Array<PolicyStatement & { source: string }> = [];
  // A queue's policy may be set on the queue itself (aws_sqs_queue.policy) or as its own resource.
  for (const type of [
    "aws_iam_role_policy",
    "aws_s3_bucket_policy",
    "aws_sqs_queue",
    "aws_sqs_queue_policy",
  ]) {
    for (const [id, resource] of Object.entries(stack.resources(type))) {
      if (resource.policy === undefined) continue;
      for (const s of stack.policyStatements(resource.policy)) out.push({ ...s, source: `${type}.${id}` });
    }
  }
  return out;
}

// One test per rule, named after it and its checkov ID (for reference; checkov itself is not run).
for (const stage of ["dev", "prod"] as const) {
  describe(`security baseline (${stage})`, () => {
    let stack: SynthStack;
    let bucketId: string;

    before(() => {
      stack = synthOnce().stacks[stage];
      bucketId = stack.idOf("aws_s3_bucket", () => true);
    });

    it("CKV2_AWS_6: the bucket blocks all public access (all four flags)", () => {
      expect(stack.only("aws_s3_bucket_public_access_block")).to.deep.include({
        bucket: `\${aws_s3_bucket.${bucketId}.id}`,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    });

    it("CKV_AWS_19: the bucket is encrypted at rest by default", () => {
      const sse = stack.only("aws_s3_bucket_server_side_encryption_configuration");
      expect(sse.bucket).to.equal(`\${aws_s3_bucket.${bucketId}.id}`);
      const [rule] = sse.rule as Array<{
        apply_server_side_encryption_by_default: { sse_algorithm: string };
      }>;
      expect(rule?.apply_server_side_encryption_by_default.sse_algorithm).to.be.oneOf(["AES256", "aws:kms"]);
    });

    it("CKV_AWS_21: the bucket is versioned", () => {
      expect(stack.only("aws_s3_bucket_versioning")).to.deep.include({
        bucket: `\${aws_s3_bucket.${bucketId}.id}`,
        versioning_configuration: { status: "Enabled" },
      });
    });

    it("TLS only: the bucket policy denies every request not made over TLS", () => {
      const policy = stack.only("aws_s3_bucket_policy");
      const arn = `\${aws_s3_bucket.${bucketId}.arn}`;
      expect(stack.policyStatements(policy.policy)).to.deep.include({
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["s3:*"],
        resources: [arn, `${arn}/*`],
        principals: [{ type: "*", identifiers: ["*"] }],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      });
    });

    it("CKV_AWS_28: the table has point-in-time recovery", () => {
      expect(stack.only("aws_dynamodb_table").point_in_time_recovery).to.deep.equal({ enabled: true });
    });

    it("CKV_AWS_116: every asynchronously invoked function has an on-failure destination", () => {
      const destinations = Object.values(stack.resources("aws_lambda_function_event_invoke_config")).map(
        (c) => (c.destination_config as { on_failure?: { destination?: string } }).on_failure?.destination,
      );
      expect(destinations).to.have.length(2);
      for (const d of destinations) expect(d).to.match(/^\$\{aws_sqs_queue\./);
      // and the queues themselves are encrypted (CKV_AWS_27)
      for (const queue of Object.values(stack.resources("aws_sqs_queue"))) {
        expect(queue.sqs_managed_sse_enabled).to.equal(true);
      }
    });

    it("CKV_AWS_50: every function and the API stage are traced with X-Ray", () => {
      for (const fn of Object.values(stack.resources("aws_lambda_function"))) {
        expect(fn.tracing_config).to.deep.equal({ mode: "Active" });
      }
      expect(stack.only("aws_api_gateway_stage").xray_tracing_enabled).to.equal(true);
    });

    it("CKV_AWS_66: every log group has a retention period", () => {
      const groups = Object.values(stack.resources("aws_cloudwatch_log_group"));
      expect(groups).to.have.length(4);
      for (const group of groups) expect(group.retention_in_days).to.be.a("number").greaterThan(0);
    });

    it("CKV_AWS_76: the API stage writes access logs", () => {
      const settings = stack.only("aws_api_gateway_stage").access_log_settings as {
        destination_arn: string;
        format: string;
      };
      expect(settings.destination_arn).to.match(/^\$\{aws_cloudwatch_log_group\./);
      expect(JSON.parse(settings.format)).to.include({
        requestId: "$context.requestId",
        status: "$context.status",
      });
    });

    it("API throttling: every method of the stage is rate- and burst-limited", () => {
      const settings = stack.only("aws_api_gateway_method_settings").settings as Record<string, number>;
      expect(settings.throttling_rate_limit).to.be.greaterThan(0);
      expect(settings.throttling_burst_limit).to.be.greaterThan(0);
    });

    it("CKV_AWS_63 / CKV_AWS_355: no wildcard in any allowed action, and Resource * only where AWS has no resource-level permission", () => {
      for (const statement of allPermissionStatements(stack).filter((s) => s.effect === "Allow")) {
        for (const action of statement.actions) {
          expect(action, `${statement.source} ${statement.sid}`).not.to.contain("*");
          if (statement.resources.includes("*")) {
            expect(
              NO_RESOURCE_LEVEL_ACTIONS as readonly string[],
              `${statement.source} ${action} on *`,
            ).to.include(action);
          }
        }
      }
    });

    it("CKV_AWS_364: every Lambda permission is scoped to a source ARN (and S3's to the account too)", () => {
      const permissions = Object.values(stack.resources("aws_lambda_permission"));
      expect(permissions).to.have.length(4);
      for (const permission of permissions)
        expect(permission.source_arn, String(permission.statement_id)).to.be.a("string");
      const s3 = permissions.find((p) => p.principal === "s3.amazonaws.com");
      expect(s3?.source_account).to.match(
        /^\$\{element\(split\(":", aws_lambda_function\.[^.]+\.arn\), 4\)\}$/,
      );
    });

    it("roles are trusted only by their service", () => {
      for (const [id, role] of Object.entries(stack.resources("aws_iam_role"))) {
        const [trust] = stack.policyStatements(role.assume_role_policy);
        expect(trust?.actions, id).to.deep.equal(["sts:AssumeRole"]);
        expect(trust?.principals?.[0]?.type).to.equal("Service");
        expect(trust?.principals?.[0]?.identifiers).to.have.length(1);
      }
    });
  });
}
