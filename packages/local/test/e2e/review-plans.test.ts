import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { synthesize, TERRAFORM_INSTALL_HINT } from "@lambdaform/infra";
import { composeReview, parsePlan, readTraffic } from "@lambdaform/review";
import {
  findExecutable,
  findMotoPython,
  freePort,
  MOTO_INSTALL_HINT,
  requirePrerequisite,
} from "@lambdaform/testkit";
import { expect } from "chai";
import { type DevStack, startDev } from "../../src/dev/dev.ts";
import { deployedDataDir } from "../deployed-template.ts";
import { devTestOptions } from "../helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: edits of synthesized Terraform JSON; the real plan checks them
type Json = Record<string, any>;

/**
 * `pnpm review` on real terraform plans: the synthesized stack deployed to moto by pnpm dev, then
 * plans of edited copies against it (terraform plan with refresh, as CI plans against AWS).
 */
describe("pnpm review on real plans of a deployed stack", function () {
  this.timeout(600_000);
  let dev: DevStack | undefined;
  let stackDir: string;
  let dataDir: string;
  let base: Json;
  const root = new URL("../../../../", import.meta.url).pathname;

  before(async function () {
    requirePrerequisite(this, "terraform", findExecutable("terraform"), TERRAFORM_INSTALL_HINT);
    requirePrerequisite(this, "moto", findMotoPython(), MOTO_INSTALL_HINT);
    const outdir = mkdtempSync(join(tmpdir(), "lf-review-plans-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    stackDir = join(outdir, "stacks", "lambdaform-dev");
    base = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
    dataDir = mkdtempSync(join(tmpdir(), "lf-review-plans-data-"));
    // Deployed already (a restart on a kept data directory): these tests are about later plans.
    await deployedDataDir(stackDir, dataDir);
    dev = await startDev({ ...devTestOptions(stackDir, dataDir, await freePort()), instances: 0 });
  });

  after(async () => {
    await dev?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A copy of the stack with `edit` applied, its real plan against what is deployed, and its review. */
  async function review(edit: (json: Json) => void) {
    const copyRoot = mkdtempSync(join(tmpdir(), "lf-review-copy-"));
    const copyDir = join(copyRoot, "stacks", "lambdaform-dev");
    cpSync(stackDir, copyDir, { recursive: true });
    const head = JSON.parse(readFileSync(join(copyDir, "cdk.tf.json"), "utf8"));
    edit(head);
    writeFileSync(join(copyDir, "cdk.tf.json"), JSON.stringify(head));
    const plan = await dev?.plan(copyDir);
    const set = parsePlan(JSON.stringify(plan), "lambdaform-dev");
    const composed = composeReview(
      { set, head, base, state: { lineage: "test-lineage", serial: 7 } },
      { sha: "c".repeat(40), baseSha: "d".repeat(40), traffic: readTraffic(root) },
    );
    return { set, ...composed };
  }

  it("a memory change plus one IAM action: the added action, the cost delta, the role's line, the labels", async () => {
    const { comment, labels } = await review((json) => {
      for (const fn of Object.values(json.resource.aws_lambda_function) as Json[])
        if (String(fn.function_name).endsWith("s3-processor")) fn.memory_size = 512;
      for (const doc of Object.values(json.data.aws_iam_policy_document) as Json[])
        for (const s of doc.statement) if (s.sid === "ReadUploads") s.actions.push("s3:DeleteObject");
    });
    expect(comment).to.contain("**Plan: 0 to add, 2 to change, 0 to destroy.**");
    expect(comment).to.match(/\*\*`s3-processor\/policy`\*\*[^\n]*changed[\s\S]*?\+ Action: s3:DeleteObject/);
    expect(comment).to.match(
      /\| s3-processor \| 256 → 512 MB \| arm64 \| \$0\.53 \| \$0\.87 \| \+\$0\.33 \|/,
    );
    expect(comment).to.contain("- `s3-processor`: 2 to change (`policy`, `memory_size` 256 → 512)");
    expect(comment).to.contain("head `cccccccccccc` · base `dddddddddddd` · state `test-lineage` serial 7");
    expect(comment).not.to.contain("known only after apply");
    expect(labels).to.deep.equal(["plan:add-or-update", "plan:iam-change"]);
    // Most important first: IAM, then cost, then the roles, then the full plan.
    const order = ["#### IAM", "#### Cost", "#### Changes by role", "<summary>Full plan</summary>"].map((s) =>
      comment.indexOf(s),
    );
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    expect(order.every((i) => i >= 0)).to.equal(true);
  });

  /**
   * One plan for two tests (each plan costs terraform's plan and show, about 8 s here): an alarm
   * destroyed, and the bucket's public access block removed, which is also a destroy.
   */
  let destroys: ReturnType<typeof review> | undefined;
  const destroysReview = () =>
    (destroys ??= review((json) => {
      const alarms = json.resource.aws_cloudwatch_metric_alarm as Json;
      delete alarms[Object.keys(alarms).find((k) => k.includes("hello-api-throttles")) ?? ""];
      delete json.resource.aws_s3_bucket_public_access_block;
      for (const policy of Object.values(json.resource.aws_s3_bucket_policy) as Json[])
        delete policy.depends_on;
    }));

  it("a destroy: the caution block names the construct path, and plan:destroy is set", async () => {
    const { comment, labels } = await destroysReview();
    expect(comment).to.match(
      /> \[!CAUTION\][\s\S]*> - destroy `alarms\/hello-api-throttles` \(`aws_cloudwatch_metric_alarm\.alarms_hello-api-throttles_\w+`\)/,
    );
    expect(comment.indexOf("[!CAUTION]")).to.be.lessThan(comment.indexOf("#### Changes by role"));
    expect(labels).to.include("plan:destroy");
    expect(labels).not.to.include("plan:iam-change");
  });

  it("drift: a queue changed in moto behind Terraform's back shows in its own section", async () => {
    const sqs = new SQSClient({
      region: "us-east-1",
      endpoint: dev?.gateway.endpoint ?? "",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: "lambdaform-dev-s3-processor-dlq" }),
    );
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "42" } }));
    try {
      const { set, comment } = await review(() => {});
      expect(set.drift?.map((d) => d.address)).to.deep.equal([
        Object.keys(base.resource.aws_sqs_queue)
          .map((k) => `aws_sqs_queue.${k}`)
          .find((a) => a.includes("s3-processor")),
      ]);
      expect(comment).to.match(
        /#### Changed outside Terraform \(drift\)[\s\S]*- `s3-processor\/dlq\/queue` \(`aws_sqs_queue\.[^`]+`\): `delay_seconds`/,
      );
    } finally {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "0" } }));
    }
  });

  it("a policy violation: a bucket without its public access block is named with CKV2_AWS_6 and labelled", async () => {
    const { comment, labels, violations } = await destroysReview();
    expect(violations.map((v) => [v.rule, v.address])).to.deep.equal([
      ["CKV2_AWS_6", `aws_s3_bucket.${Object.keys(base.resource.aws_s3_bucket)[0]}`],
    ]);
    expect(comment).to.match(/#### Policy checks\n\n❌ 1 violation of 1 rule; 15 rules passed/);
    expect(comment).to.match(/\| `CKV2_AWS_6` [^|]+\| `aws_s3_bucket\.uploads_bucket_\w+` \|/);
    expect(labels).to.include("plan:policy-violation");
    expect(labels).to.include("plan:destroy");
  });
});
