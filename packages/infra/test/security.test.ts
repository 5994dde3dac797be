import { expect } from "chai";
import { NO_RESOURCE_LEVEL_ACTIONS } from "../src/iam-actions.ts";
import { checkBaseline, RULES, type Violation } from "../src/policy/baseline.ts";
import {
  functionOf,
  type Json,
  type PolicyStatement,
  SynthStack,
  synthOnce,
  type TfResource,
} from "./helpers.ts";

// The baseline lives in src/policy/baseline.ts, shared with the plan review. Each test runs one
// rule on the synthesized stack (no violation), then on edited copies of it, where the rule must
// name the resource the edit broke. checkov itself is not run; its IDs are for reference.

/** A deep copy of the stack's JSON, edited through the same lookups (they return live objects). */
function edited(stack: SynthStack, edit: (copy: SynthStack) => void): Json {
  const copy = new SynthStack(stack.name, structuredClone(stack.json));
  edit(copy);
  return copy.json;
}

const violationsOf = (rule: string, json: Json): Violation[] =>
  checkBaseline(json).filter((v) => v.rule === rule);

/** The rule reports exactly this resource, with a message matching `message`. */
function expectViolation(json: Json, rule: string, address: string, message?: RegExp): void {
  const found = violationsOf(rule, json);
  expect(
    found.map((v) => v.address),
    `${rule}: ${JSON.stringify(found)}`,
  ).to.deep.equal([address]);
  if (message) expect(found[0]?.message).to.match(message);
}

/** Removes resources of a type: all of them, or those whose logical id `which` accepts. */
function drop(copy: SynthStack, type: string, which: (id: string) => boolean = () => true): void {
  const byType = (copy.json.resource as Json)[type] as Record<string, TfResource>;
  for (const id of Object.keys(byType)) if (which(id)) delete byType[id];
}

/** The statements of the policy document a resource's attribute references (live, in that copy). */
const statementsOf = (copy: SynthStack, type: string, id: string, attribute = "policy"): PolicyStatement[] =>
  copy.policyStatements(copy.resources(type)[id]?.[attribute]);

const address = (type: string, id: string) => `${type}.${id}`;

describe("security baseline: the rules", () => {
  it("names each rule once, with its checkov ID where checkov has the check and a lambdaform one otherwise", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const r of RULES) {
      expect(r.title, r.id).to.be.a("string").and.not.be.empty;
      if (r.id.startsWith("LF_")) expect(r.checkov, r.id).to.equal(undefined);
      else
        expect(r.checkov, r.id)
          .to.equal(r.id)
          .and.match(/^CKV2?_AWS_\d+$/);
    }
    expect(ids).to.include.members([
      "CKV2_AWS_6",
      "CKV_AWS_19",
      "CKV_AWS_21",
      "LF_TLS_ONLY",
      "CKV_AWS_28",
      "CKV_AWS_116",
      "CKV_AWS_27",
      "CKV_AWS_50",
      "CKV_AWS_73",
      "CKV_AWS_66",
      "CKV_AWS_76",
      "LF_API_THROTTLING",
      "CKV_AWS_63",
      "CKV_AWS_355",
      "CKV_AWS_364",
      "LF_TRUSTED_SERVICE",
    ]);
  });

  it("refuses a terraform plan (it reads synthesized stacks)", () => {
    expect(() => checkBaseline({ format_version: "1.2", resource_changes: [] })).to.throw(
      /not a terraform plan/,
    );
  });
});

for (const stage of ["dev", "prod"] as const) {
  describe(`security baseline (${stage})`, () => {
    let stack: SynthStack;
    let bucketId: string;
    let bucket: string;

    before(() => {
      stack = synthOnce().stacks[stage];
      bucketId = stack.idOf("aws_s3_bucket", () => true);
      bucket = address("aws_s3_bucket", bucketId);
    });

    /** The rule passes on the synthesized stack. */
    const passes = (rule: string) => expect(violationsOf(rule, stack.json), rule).to.deep.equal([]);

    it("passes the whole baseline: checkBaseline finds no violation", () => {
      expect(checkBaseline(stack.json)).to.deep.equal([]);
    });

    it("CKV2_AWS_6: the bucket blocks all public access (all four flags)", () => {
      passes("CKV2_AWS_6");
      expect(stack.only("aws_s3_bucket_public_access_block").bucket).to.equal(
        `\${aws_s3_bucket.${bucketId}.id}`,
      );
      expectViolation(
        edited(stack, (s) => drop(s, "aws_s3_bucket_public_access_block")),
        "CKV2_AWS_6",
        bucket,
        /no aws_s3_bucket_public_access_block/,
      );
      for (const flag of [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
      ]) {
        expectViolation(
          edited(stack, (s) => {
            s.only("aws_s3_bucket_public_access_block")[flag] = false;
          }),
          "CKV2_AWS_6",
          bucket,
          new RegExp(`leaves ${flag} off`),
        );
      }
      // a block for another bucket does not count
      expectViolation(
        edited(stack, (s) => {
          s.only("aws_s3_bucket_public_access_block").bucket = "some-other-bucket";
        }),
        "CKV2_AWS_6",
        bucket,
      );
    });

    it("CKV_AWS_19: the bucket is encrypted at rest by default", () => {
      passes("CKV_AWS_19");
      expect(stack.only("aws_s3_bucket_server_side_encryption_configuration").bucket).to.equal(
        `\${aws_s3_bucket.${bucketId}.id}`,
      );
      expectViolation(
        edited(stack, (s) => drop(s, "aws_s3_bucket_server_side_encryption_configuration")),
        "CKV_AWS_19",
        bucket,
        /no aws_s3_bucket_server_side_encryption_configuration/,
      );
      expectViolation(
        edited(stack, (s) => {
          s.only("aws_s3_bucket_server_side_encryption_configuration").rule = [];
        }),
        "CKV_AWS_19",
        bucket,
        /has no rule/,
      );
      expectViolation(
        edited(stack, (s) => {
          const [rule] = s.only("aws_s3_bucket_server_side_encryption_configuration").rule as Json[];
          if (rule) rule.apply_server_side_encryption_by_default = {};
        }),
        "CKV_AWS_19",
        bucket,
        /sse_algorithm is unset/,
      );
    });

    it("CKV_AWS_21: the bucket is versioned", () => {
      passes("CKV_AWS_21");
      expect(stack.only("aws_s3_bucket_versioning").bucket).to.equal(`\${aws_s3_bucket.${bucketId}.id}`);
      expectViolation(
        edited(stack, (s) => drop(s, "aws_s3_bucket_versioning")),
        "CKV_AWS_21",
        bucket,
        /no aws_s3_bucket_versioning/,
      );
      expectViolation(
        edited(stack, (s) => {
          s.only("aws_s3_bucket_versioning").versioning_configuration = { status: "Suspended" };
        }),
        "CKV_AWS_21",
        bucket,
        /"Suspended"/,
      );
    });

    it("TLS only (LF_TLS_ONLY): the bucket policy denies every request not made over TLS", () => {
      passes("LF_TLS_ONLY");
      // This stack's exact statement, beyond what the rule requires.
      const arn = `\${aws_s3_bucket.${bucketId}.arn}`;
      expect(stack.policyStatements(stack.only("aws_s3_bucket_policy").policy)).to.deep.include({
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["s3:*"],
        resources: [arn, `${arn}/*`],
        principals: [{ type: "*", identifiers: ["*"] }],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      });

      expectViolation(
        edited(stack, (s) => drop(s, "aws_s3_bucket_policy")),
        "LF_TLS_ONLY",
        bucket,
        /no aws_s3_bucket_policy/,
      );
      const weakened: Array<[string, (st: PolicyStatement) => void]> = [
        ["allowed instead of denied", (st) => Object.assign(st, { effect: "Allow" })],
        ["only some actions", (st) => Object.assign(st, { actions: ["s3:GetObject"] })],
        ["the bucket but not its objects", (st) => Object.assign(st, { resources: [arn] })],
        [
          "one principal only",
          (st) =>
            Object.assign(st, {
              principals: [{ type: "AWS", identifiers: ["arn:aws:iam::123456789012:root"] }],
            }),
        ],
        ["no condition (denies everything)", (st) => Object.assign(st, { condition: [] })],
        [
          "over TLS instead",
          (st) =>
            Object.assign(st, {
              condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["true"] }],
            }),
        ],
        [
          "only with a further condition",
          (st) => st.condition?.push({ test: "StringEquals", variable: "aws:SourceVpc", values: ["vpc-1"] }),
        ],
      ];
      for (const [how, weaken] of weakened) {
        const json = edited(stack, (s) => {
          const policy = s.only("aws_s3_bucket_policy");
          const statement = s
            .policyStatements(policy.policy)
            .find((st) => st.sid === "DenyInsecureTransport");
          if (statement) weaken(statement);
        });
        expect(
          violationsOf("LF_TLS_ONLY", json).map((v) => v.address),
          how,
        ).to.deep.equal([bucket]);
        expect(violationsOf("LF_TLS_ONLY", json)[0]?.message, how).to.match(/no statement denying s3:\*/);
      }
    });

    it("CKV_AWS_28: the table has point-in-time recovery", () => {
      passes("CKV_AWS_28");
      expect(stack.only("aws_dynamodb_table").point_in_time_recovery).to.deep.equal({ enabled: true });
      const table = address(
        "aws_dynamodb_table",
        stack.idOf("aws_dynamodb_table", () => true),
      );
      expectViolation(
        edited(stack, (s) => {
          delete s.only("aws_dynamodb_table").point_in_time_recovery;
        }),
        "CKV_AWS_28",
        table,
        /point-in-time recovery is unset/,
      );
      expectViolation(
        edited(stack, (s) => {
          s.only("aws_dynamodb_table").point_in_time_recovery = { enabled: false };
        }),
        "CKV_AWS_28",
        table,
        /enabled: false/,
      );
    });

    it("CKV_AWS_116: every asynchronously invoked function has an on-failure destination", () => {
      passes("CKV_AWS_116");
      const configs = stack.resources("aws_lambda_function_event_invoke_config");
      expect(Object.keys(configs)).to.have.length(2);
      // Both asynchronous functions are found (by S3 and by EventBridge), so losing either's config shows.
      for (const [role, invoker] of [
        ["s3-processor", /s3\.amazonaws\.com/],
        ["ec2-monitor", /events\.amazonaws\.com/],
      ] as const) {
        const { id } = functionOf(stack, role);
        const json = edited(stack, (s) =>
          drop(
            s,
            "aws_lambda_function_event_invoke_config",
            (config) =>
              s.resources("aws_lambda_function_event_invoke_config")[config]?.function_name ===
              `\${aws_lambda_function.${id}.function_name}`,
          ),
        );
        expectViolation(json, "CKV_AWS_116", address("aws_lambda_function", id), invoker);
      }
      const [configId] = Object.keys(configs) as [string];
      const topic = stack.idOf("aws_sns_topic", () => true);
      expectViolation(
        edited(stack, (s) => {
          const c = s.resources("aws_lambda_function_event_invoke_config")[configId] as TfResource;
          c.destination_config = { on_failure: { destination: `\${aws_sns_topic.${topic}.arn}` } };
        }),
        "CKV_AWS_116",
        address("aws_lambda_function_event_invoke_config", configId),
        /is not an SQS queue of this stack/,
      );
      expectViolation(
        edited(stack, (s) => {
          delete (s.resources("aws_lambda_function_event_invoke_config")[configId] as TfResource)
            .destination_config;
        }),
        "CKV_AWS_116",
        address("aws_lambda_function_event_invoke_config", configId),
        /no on-failure destination/,
      );
    });

    it("CKV_AWS_27: the on-failure queues are encrypted", () => {
      passes("CKV_AWS_27");
      const queues = stack.resources("aws_sqs_queue");
      expect(Object.keys(queues)).to.have.length(2);
      for (const queue of Object.values(queues)) expect(queue.sqs_managed_sse_enabled).to.equal(true);
      for (const id of Object.keys(queues)) {
        expectViolation(
          edited(stack, (s) => {
            delete (s.resources("aws_sqs_queue")[id] as TfResource).sqs_managed_sse_enabled;
          }),
          "CKV_AWS_27",
          address("aws_sqs_queue", id),
          /not encrypted/,
        );
      }
    });

    it("CKV_AWS_50 / CKV_AWS_73: every function and the API stage are traced with X-Ray", () => {
      passes("CKV_AWS_50");
      passes("CKV_AWS_73");
      const functions = Object.keys(stack.resources("aws_lambda_function"));
      expect(functions).to.have.length(3);
      for (const id of functions) {
        expectViolation(
          edited(stack, (s) => {
            (s.resources("aws_lambda_function")[id] as TfResource).tracing_config = { mode: "PassThrough" };
          }),
          "CKV_AWS_50",
          address("aws_lambda_function", id),
          /"PassThrough"/,
        );
        expectViolation(
          edited(stack, (s) => {
            delete (s.resources("aws_lambda_function")[id] as TfResource).tracing_config;
          }),
          "CKV_AWS_50",
          address("aws_lambda_function", id),
          /mode is unset/,
        );
      }
      const stageId = stack.idOf("aws_api_gateway_stage", () => true);
      stack.only("aws_api_gateway_stage");
      expectViolation(
        edited(stack, (s) => {
          s.only("aws_api_gateway_stage").xray_tracing_enabled = false;
        }),
        "CKV_AWS_73",
        address("aws_api_gateway_stage", stageId),
        /xray_tracing_enabled is false/,
      );
    });

    it("CKV_AWS_66: every log group has a retention period", () => {
      passes("CKV_AWS_66");
      const groups = Object.keys(stack.resources("aws_cloudwatch_log_group"));
      expect(groups).to.have.length(4);
      for (const id of groups) {
        expectViolation(
          edited(stack, (s) => {
            delete (s.resources("aws_cloudwatch_log_group")[id] as TfResource).retention_in_days;
          }),
          "CKV_AWS_66",
          address("aws_cloudwatch_log_group", id),
          /retention_in_days is unset/,
        );
        expectViolation(
          edited(stack, (s) => {
            (s.resources("aws_cloudwatch_log_group")[id] as TfResource).retention_in_days = 0;
          }),
          "CKV_AWS_66",
          address("aws_cloudwatch_log_group", id),
          /retention_in_days is 0/,
        );
      }
      // A function without its own log group gets one from Lambda, kept forever.
      const { id, fn } = functionOf(stack, "hello-api");
      expectViolation(
        edited(stack, (s) =>
          drop(
            s,
            "aws_cloudwatch_log_group",
            (g) => s.resources("aws_cloudwatch_log_group")[g]?.name === `/aws/lambda/${fn.function_name}`,
          ),
        ),
        "CKV_AWS_66",
        address("aws_lambda_function", id),
        /no aws_cloudwatch_log_group \/aws\/lambda\/lambdaform-\w+-hello-api/,
      );
    });

    it("CKV_AWS_76: the API stage writes access logs", () => {
      passes("CKV_AWS_76");
      const stageId = stack.idOf("aws_api_gateway_stage", () => true);
      const settings = stack.only("aws_api_gateway_stage").access_log_settings as Json;
      expect(settings.destination_arn).to.match(/^\$\{aws_cloudwatch_log_group\./);
      const stageAddress = address("aws_api_gateway_stage", stageId);
      const withSettings = (change: Json) =>
        edited(stack, (s) => {
          Object.assign(s.only("aws_api_gateway_stage").access_log_settings as Json, change);
        });
      expectViolation(
        edited(stack, (s) => {
          delete s.only("aws_api_gateway_stage").access_log_settings;
        }),
        "CKV_AWS_76",
        stageAddress,
        /no access_log_settings/,
      );
      const topic = stack.idOf("aws_sns_topic", () => true);
      expectViolation(
        withSettings({ destination_arn: `\${aws_sns_topic.${topic}.arn}` }),
        "CKV_AWS_76",
        stageAddress,
        /not a log group of this stack/,
      );
      const format = JSON.parse(String(settings.format)) as Json;
      expectViolation(
        withSettings({ format: JSON.stringify({ ...format, requestId: undefined }) }),
        "CKV_AWS_76",
        stageAddress,
        /requestId and status/,
      );
      expectViolation(
        withSettings({ format: JSON.stringify({ ...format, status: undefined }) }),
        "CKV_AWS_76",
        stageAddress,
      );
      expectViolation(
        withSettings({ format: "$context.requestId $context.status" }),
        "CKV_AWS_76",
        stageAddress,
      );
    });

    it("API throttling (LF_API_THROTTLING): every method of the stage is rate- and burst-limited", () => {
      passes("LF_API_THROTTLING");
      const settingsId = stack.idOf("aws_api_gateway_method_settings", () => true);
      const settings = stack.only("aws_api_gateway_method_settings");
      expect(settings.method_path).to.equal("*/*");
      const stageAddress = address(
        "aws_api_gateway_stage",
        stack.idOf("aws_api_gateway_stage", () => true),
      );
      const settingsAddress = address("aws_api_gateway_method_settings", settingsId);
      expectViolation(
        edited(stack, (s) => drop(s, "aws_api_gateway_method_settings")),
        "LF_API_THROTTLING",
        stageAddress,
        /no aws_api_gateway_method_settings for "\*\/\*"/,
      );
      for (const limit of ["throttling_rate_limit", "throttling_burst_limit"]) {
        for (const value of [0, -1, undefined]) {
          expectViolation(
            edited(stack, (s) => {
              (s.only("aws_api_gateway_method_settings").settings as Json)[limit] = value;
            }),
            "LF_API_THROTTLING",
            settingsAddress,
            new RegExp(`${limit} ${value === undefined ? "unset" : value}`),
          );
        }
      }
      // A method's own settings replace the stage-wide ones: without throttling, that method has none.
      expectViolation(
        edited(stack, (s) => {
          (s.json.resource as Json).aws_api_gateway_method_settings = {
            ...s.resources("aws_api_gateway_method_settings"),
            hello_get: { ...settings, method_path: "hello/GET", settings: { metrics_enabled: true } },
          };
        }),
        "LF_API_THROTTLING",
        "aws_api_gateway_method_settings.hello_get",
        /"hello\/GET"/,
      );
    });

    it("CKV_AWS_63: no wildcard in any allowed action (role, bucket and queue policies)", () => {
      passes("CKV_AWS_63");
      // The stack's policy documents are all spelled out, so the rule reads every one of them.
      const s3 = functionOf(stack, "s3-processor");
      const s3Policy = stack.idOf(
        "aws_iam_role_policy",
        (p) => p.role === `\${aws_iam_role.${s3.roleId}.id}`,
      );
      for (const wildcard of ["s3:*", "s3:Get*", "*"]) {
        expectViolation(
          edited(stack, (s) => {
            statementsOf(s, "aws_iam_role_policy", s3Policy)
              .find((st) => st.sid === "ReadUploads")
              ?.actions.push(wildcard);
          }),
          "CKV_AWS_63",
          address("aws_iam_role_policy", s3Policy),
          new RegExp(`statement "ReadUploads" allows ${wildcard.replace(/\*/g, "\\*")}`),
        );
      }
      // two in one policy: still one violation for that resource, naming both
      const both = violationsOf(
        "CKV_AWS_63",
        edited(stack, (s) => {
          const statements = statementsOf(s, "aws_iam_role_policy", s3Policy);
          statements.find((st) => st.sid === "ReadUploads")?.actions.push("s3:*");
          statements.find((st) => st.sid === "WriteFileLog")?.actions.push("dynamodb:*");
        }),
      );
      expect(both).to.have.length(1);
      expect(both[0]?.message).to.contain("s3:*").and.contain("dynamodb:*");
      expectViolation(
        edited(stack, (s) => {
          statementsOf(s, "aws_iam_role_policy", s3Policy).push({
            sid: "Everything",
            effect: "Allow",
            not_actions: ["iam:*"],
            resources: ["*"],
          } as unknown as PolicyStatement);
        }),
        "CKV_AWS_63",
        address("aws_iam_role_policy", s3Policy),
        /allows every action but iam:\* \(NotAction\)/,
      );
      // a queue's own policy (the monitor's DLQ)
      const dlq = stack.idOf("aws_sqs_queue", (q) => q.policy !== undefined);
      expectViolation(
        edited(stack, (s) => {
          statementsOf(s, "aws_sqs_queue", dlq)[0]?.actions.push("sqs:*");
        }),
        "CKV_AWS_63",
        address("aws_sqs_queue", dlq),
        /allows sqs:\*/,
      );
      // the bucket policy: its Deny s3:* is fine, an Allow s3:* is not
      const bucketPolicy = stack.idOf("aws_s3_bucket_policy", () => true);
      expectViolation(
        edited(stack, (s) => {
          statementsOf(s, "aws_s3_bucket_policy", bucketPolicy).push({
            sid: "Everyone",
            effect: "Allow",
            actions: ["s3:*"],
            resources: [`\${aws_s3_bucket.${bucketId}.arn}/*`],
            principals: [{ type: "AWS", identifiers: ["arn:aws:iam::123456789012:root"] }],
          });
        }),
        "CKV_AWS_63",
        address("aws_s3_bucket_policy", bucketPolicy),
        /statement "Everyone" allows s3:\*/,
      );
      // an aws_sqs_queue_policy with its policy as JSON text
      expectViolation(
        edited(stack, (s) => {
          (s.json.resource as Json).aws_sqs_queue_policy = {
            extra: {
              queue_url: `\${aws_sqs_queue.${dlq}.id}`,
              policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:*", Resource: "*" }],
              }),
            },
          };
        }),
        "CKV_AWS_63",
        "aws_sqs_queue_policy.extra",
        /statement "#1" allows sqs:\*/,
      );
      // a policy the rule cannot read is a violation, not a pass
      expectViolation(
        edited(stack, (s) => {
          (s.resources("aws_iam_role_policy")[s3Policy] as TfResource).policy =
            `\${aws_iam_policy.elsewhere.policy}`;
        }),
        "CKV_AWS_63",
        address("aws_iam_role_policy", s3Policy),
        /cannot check its policy/,
      );
    });

    it("CKV_AWS_355: Resource * only where AWS has no resource-level permission", () => {
      passes("CKV_AWS_355");
      // The stack does use Resource "*", for exactly such actions.
      const onStar = Object.values(stack.resources("aws_iam_role_policy"))
        .flatMap((p) => stack.policyStatements(p.policy))
        .filter((st) => st.effect === "Allow" && st.resources.includes("*"))
        .flatMap((st) => st.actions);
      expect(onStar).not.to.be.empty;
      expect(NO_RESOURCE_LEVEL_ACTIONS as readonly string[]).to.include.members(onStar);

      const s3 = functionOf(stack, "s3-processor");
      const s3Policy = stack.idOf(
        "aws_iam_role_policy",
        (p) => p.role === `\${aws_iam_role.${s3.roleId}.id}`,
      );
      expectViolation(
        edited(stack, (s) => {
          statementsOf(s, "aws_iam_role_policy", s3Policy)
            .find((st) => st.sid === "WriteFileLog")
            ?.resources.push("*");
        }),
        "CKV_AWS_355",
        address("aws_iam_role_policy", s3Policy),
        /statement "WriteFileLog" allows dynamodb:PutItem on Resource "\*"/,
      );
      expectViolation(
        edited(stack, (s) => {
          statementsOf(s, "aws_iam_role_policy", s3Policy)
            .find((st) => st.sid === "XRayTracing")
            ?.actions.push("s3:GetObject");
        }),
        "CKV_AWS_355",
        address("aws_iam_role_policy", s3Policy),
        /statement "XRayTracing" allows s3:GetObject on Resource "\*"/,
      );
      const ec2 = functionOf(stack, "ec2-monitor");
      const ec2Policy = stack.idOf(
        "aws_iam_role_policy",
        (p) => p.role === `\${aws_iam_role.${ec2.roleId}.id}`,
      );
      expectViolation(
        edited(stack, (s) => {
          const own = statementsOf(s, "aws_iam_role_policy", ec2Policy).find(
            (st) => st.sid === "OwnLogGroup",
          );
          if (own) own.resources = ["*"];
        }),
        "CKV_AWS_355",
        address("aws_iam_role_policy", ec2Policy),
        /logs:CreateLogStream, logs:PutLogEvents on Resource "\*"/,
      );
      expectViolation(
        edited(stack, (s) => {
          const own = statementsOf(s, "aws_iam_role_policy", ec2Policy).find(
            (st) => st.sid === "OwnLogGroup",
          );
          Object.assign(own ?? {}, { resources: [], not_resources: ["arn:aws:logs:*:*:log-group:secret"] });
        }),
        "CKV_AWS_355",
        address("aws_iam_role_policy", ec2Policy),
        /allows every resource but .* \(NotResource\)/,
      );
    });

    it("CKV_AWS_364: every Lambda permission is scoped to a source ARN (and S3's to the account too)", () => {
      passes("CKV_AWS_364");
      const permissions = stack.resources("aws_lambda_permission");
      expect(Object.keys(permissions)).to.have.length(4);
      // This stack's S3 permission names the function's own account.
      const s3 = Object.values(permissions).find((p) => p.principal === "s3.amazonaws.com");
      expect(s3?.source_account).to.match(
        /^\$\{element\(split\(":", aws_lambda_function\.[^.]+\.arn\), 4\)\}$/,
      );
      for (const [id, permission] of Object.entries(permissions)) {
        for (const arn of [undefined, "", "*"]) {
          expectViolation(
            edited(stack, (s) => {
              (s.resources("aws_lambda_permission")[id] as TfResource).source_arn = arn;
            }),
            "CKV_AWS_364",
            address("aws_lambda_permission", id),
            new RegExp(`any ${String(permission.principal).replace(/\./g, "\\.")} resource`),
          );
        }
      }
      const s3Id = stack.idOf("aws_lambda_permission", (p) => p.principal === "s3.amazonaws.com");
      expectViolation(
        edited(stack, (s) => {
          delete (s.resources("aws_lambda_permission")[s3Id] as TfResource).source_account;
        }),
        "CKV_AWS_364",
        address("aws_lambda_permission", s3Id),
        /no source_account/,
      );
    });

    it("roles are trusted only by their service (LF_TRUSTED_SERVICE)", () => {
      passes("LF_TRUSTED_SERVICE");
      const roles = Object.keys(stack.resources("aws_iam_role"));
      expect(roles).to.have.length(4);
      const trustOf = (s: SynthStack, id: string) =>
        statementsOf(s, "aws_iam_role", id, "assume_role_policy");
      for (const id of roles) {
        const role = address("aws_iam_role", id);
        const broken: Array<[RegExp, (trust: PolicyStatement) => void]> = [
          [/allows sts:AssumeRole, sts:TagSession, not only/, (t) => t.actions.push("sts:TagSession")],
          [/allows sts:\*, not only/, (t) => Object.assign(t, { actions: ["sts:*"] })],
          [
            /trusts AWS \*, not one AWS service/,
            (t) => Object.assign(t, { principals: [{ type: "AWS", identifiers: ["*"] }] }),
          ],
          [
            /trusts Service .*, ec2\.amazonaws\.com, not one/,
            (t) => t.principals?.[0]?.identifiers.push("ec2.amazonaws.com"),
          ],
          [
            /trusts Service .* and AWS arn:aws:iam::123456789012:root/,
            (t) => t.principals?.push({ type: "AWS", identifiers: ["arn:aws:iam::123456789012:root"] }),
          ],
        ];
        for (const [message, breakIt] of broken) {
          expectViolation(
            edited(stack, (s) => {
              const [trust] = trustOf(s, id);
              if (trust) breakIt(trust);
            }),
            "LF_TRUSTED_SERVICE",
            role,
            message,
          );
        }
        expectViolation(
          edited(stack, (s) => {
            trustOf(s, id).splice(0);
          }),
          "LF_TRUSTED_SERVICE",
          role,
          /allows nobody/,
        );
      }
      // A function's role trusted by another service than Lambda.
      const { roleId, id } = functionOf(stack, "hello-api");
      expectViolation(
        edited(stack, (s) => {
          const [trust] = trustOf(s, roleId);
          if (trust?.principals?.[0]) trust.principals[0].identifiers = ["ec2.amazonaws.com"];
        }),
        "LF_TRUSTED_SERVICE",
        address("aws_iam_role", roleId),
        new RegExp(`trusted by ec2\\.amazonaws\\.com, but it is the role of aws_lambda_function\\.${id}`),
      );
    });
  });
}
