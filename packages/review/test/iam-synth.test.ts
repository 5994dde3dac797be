import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthesize } from "@lambdaform/infra";
import { expect } from "chai";
import { renderIamSection } from "../src/iam-render.ts";
import { iamReview } from "../src/iam-review.ts";
import { constructPaths } from "../src/iam-symbols.ts";
import { synthesizedPolicies } from "../src/iam-synth.ts";

type Json = Record<string, unknown>;
interface Document {
  "//": { metadata: { path: string } };
  statement: Json[];
}

const resources = (stack: Json) => stack.resource as Record<string, Record<string, Json>>;
const documents = (stack: Json) => (stack.data as Json).aws_iam_policy_document as Record<string, Document>;
/** The policy document whose construct path is `lambdaform-dev/<path>`. */
const documentAt = (stack: Json, path: string): Document => {
  const doc = Object.values(documents(stack)).find((d) => d["//"].metadata.path === `lambdaform-dev/${path}`);
  if (!doc) throw new Error(`no policy document at ${path}`);
  return doc;
};
const statementOf = (stack: Json, path: string, sid: string): Json => {
  const statement = documentAt(stack, path).statement.find((s) => s.sid === sid);
  if (!statement) throw new Error(`no statement ${sid} in ${path}`);
  return statement;
};
/** The lines of the rendered section from a policy's title up to the next title. */
const sectionOf = (lines: string[], path: string): string[] => {
  const start = lines.findIndex((l) => l.startsWith(`**\`${path}\`**`));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith("**`"));
  return lines.slice(start, end < 0 ? undefined : end);
};
/** The +/- lines of a diff block. */
const changeLines = (lines: string[]) => lines.filter((l) => /^[+-] /.test(l));

describe("iam-synth: IAM statements from the synthesized stack", () => {
  let head: Json;
  const copy = (change: (stack: Json) => void): Json => {
    const edited = structuredClone(head);
    change(edited);
    return edited;
  };

  before(() => {
    const outdir = mkdtempSync(join(tmpdir(), "lf-iam-synth-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    head = JSON.parse(readFileSync(join(outdir, "stacks", "lambdaform-dev", "cdk.tf.json"), "utf8"));
  });

  it("maps terraform addresses, resources and data sources, to construct paths without the stack", () => {
    // Act
    const paths = constructPaths(head);
    // Assert
    const bucket = Object.keys(resources(head).aws_s3_bucket ?? {}).find((id) =>
      id.startsWith("uploads_bucket_"),
    );
    expect(paths.get(`aws_s3_bucket.${bucket}`)).to.equal("uploads/bucket");
    const trust = Object.keys(documents(head)).find((id) => id.startsWith("s3-processor_trust_"));
    expect(paths.get(`data.aws_iam_policy_document.${trust}`)).to.equal("s3-processor/trust");
    expect([...paths.values()].some((p) => p.startsWith("lambdaform-dev"))).to.equal(false);
  });

  it("create-only: shows every statement of every policy, references rendered by construct path", () => {
    // Arrange: what the synthesized documents hold, counted from the raw JSON.
    const expected: Array<{ owner: string; attribute: string; count: number }> = [];
    for (const [type, byId] of Object.entries(resources(head)))
      for (const [id, r] of Object.entries(byId))
        for (const attribute of ["policy", "assume_role_policy"]) {
          const ref = /^\$\{data\.aws_iam_policy_document\.(.+)\.json\}$/.exec(String(r[attribute] ?? ""));
          const doc = ref?.[1] ? documents(head)[ref[1]] : undefined;
          if (doc) expected.push({ owner: `${type}.${id}`, attribute, count: doc.statement.length });
        }
    const total = expected.reduce((n, e) => n + e.count, 0);

    // Act
    const review = iamReview(undefined, head);
    const lines = renderIamSection(review);

    // Assert: one created policy per (resource, attribute), each with all its document's statements.
    expect(review.changed).to.have.length(0);
    expect(review.removed).to.have.length(0);
    expect(review.unchanged).to.have.length(0);
    expect(
      review.created.map((p) => ({ owner: p.owner, attribute: p.attribute, count: p.statements.length })),
    ).to.have.deep.members(expected);
    expect(expected.filter((e) => e.owner.startsWith("aws_iam_role_policy."))).to.have.length(4);
    expect(lines[0]).to.equal("#### IAM");
    expect(lines.filter((l) => l.startsWith("statement "))).to.have.length(total);
    for (const p of review.created)
      expect(sectionOf(lines, p.path).filter((l) => l.startsWith("statement "))).to.have.length(
        p.statements.length,
      );

    const processor = sectionOf(lines, "s3-processor/policy");
    expect(processor[0]).to.match(/`policy` — created · `aws_iam_role_policy\.s3-processor_policy_\w+`$/);
    const readUploads = processor.slice(processor.indexOf("statement ReadUploads"));
    expect(readUploads.slice(0, 5)).to.deep.equal([
      "statement ReadUploads",
      "  Effect: Allow",
      "  Action: s3:GetObject",
      "  Action: s3:GetObjectVersion",
      "  Resource: arn of uploads/bucket + /uploads/*",
    ]);
    expect(processor).to.include("  Resource: arn of s3-processor/log-group + :*");
    expect(sectionOf(lines, "ec2-monitor/policy")).to.include.members([
      "  Resource: arn of ec2-monitor/log-group + :*",
      "  Condition: StringEquals cloudwatch:namespace = Custom/EC2",
    ]);
    expect(sectionOf(lines, "s3-processor/role")).to.include.members([
      "  Action: sts:AssumeRole",
      "  Principal: Service lambda.amazonaws.com",
    ]);
    expect(sectionOf(lines, "uploads/policy")).to.include.members([
      "  Effect: Deny",
      "  Principal: *",
      "  Condition: Bool aws:SecureTransport = false",
    ]);
    // A queue ARN built from another ARN's fields reads as those fields, not as HCL.
    expect(processor).to.include(
      "  Resource: arn: + partition of s3-processor/log-group + :sqs: + region of s3-processor/log-group" +
        " + : + account id of s3-processor/log-group + :lambdaform-dev-s3-processor-dlq",
    );
    // No statement line shows raw interpolation or a logical id.
    const statementText = lines.filter((l) => l.startsWith("  "));
    expect(statementText.filter((l) => l.includes("${") || /_[0-9A-F]{8}\b/.test(l))).to.deep.equal([]);
    // Deterministic.
    expect(renderIamSection(iamReview(undefined, head))).to.deep.equal(lines);
  });

  it("widening: an action added to a document shows as exactly that + line under its policy", () => {
    // Arrange: the kind of change a plan cannot show, since the policy is known only after apply.
    const widened = copy((stack) => {
      const s = statementOf(stack, "s3-processor/permissions", "ReadUploads");
      s.actions = [...(s.actions as string[]), "s3:DeleteObject"];
    });

    // Act
    const review = iamReview(head, widened);
    const lines = renderIamSection(review);

    // Assert
    expect(review.created).to.have.length(0);
    expect(review.removed).to.have.length(0);
    expect(review.changed.map((c) => c.after.path)).to.deep.equal(["s3-processor/policy"]);
    expect(review.unchanged).to.have.length(synthesizedPolicies(head).length - 1);
    const [diff] = review.changed[0]?.diffs ?? [];
    expect(diff).to.include({ sid: "ReadUploads", kind: "changed" });
    expect(diff?.actionsAdded).to.deep.equal(["s3:DeleteObject"]);

    expect(lines).to.include("1 changed · 0 created · 0 removed · 9 unchanged");
    const section = sectionOf(lines, "s3-processor/policy");
    expect(section[0]).to.match(/`policy` — changed · `aws_iam_role_policy\.s3-processor_policy_\w+`$/);
    expect(
      section.slice(section.indexOf("```diff"), section.indexOf("```", section.indexOf("```diff") + 1) + 1),
    ).to.deep.equal(["```diff", "@@ statement ReadUploads (changed) @@", "+ Action: s3:DeleteObject", "```"]);
    expect(changeLines(lines)).to.deep.equal(["+ Action: s3:DeleteObject"]);
  });

  it("removed policy: shown with every statement it took away", () => {
    // Arrange
    const withoutPolicy = copy((stack) => {
      const policies = resources(stack).aws_iam_role_policy ?? {};
      for (const id of Object.keys(policies).filter((k) => k.startsWith("hello-api_policy_")))
        delete policies[id];
    });

    // Act
    const review = iamReview(head, withoutPolicy);
    const lines = renderIamSection(review);

    // Assert
    expect(review.removed.map((p) => `${p.path} ${p.attribute}`)).to.deep.equal(["hello-api/policy policy"]);
    expect(review.changed).to.have.length(0);
    expect(review.created).to.have.length(0);
    const section = sectionOf(lines, "hello-api/policy");
    expect(section[0]).to.match(/`policy` — removed · `aws_iam_role_policy\.hello-api_policy_\w+`$/);
    expect(changeLines(section)).to.deep.equal([
      "- Effect: Allow",
      "- Action: logs:CreateLogStream",
      "- Action: logs:PutLogEvents",
      "- Resource: arn of hello-api/log-group + :*",
      "- Effect: Allow",
      "- Action: xray:PutTelemetryRecords",
      "- Action: xray:PutTraceSegments",
      "- Resource: *",
    ]);
    expect(section).to.include.members([
      "@@ statement OwnLogGroup (removed) @@",
      "@@ statement XRayTracing (removed) @@",
    ]);
  });

  it("changed resource, principal and condition: each old and new line, symbolically", () => {
    // Arrange
    const edited = copy((stack) => {
      const read = statementOf(stack, "s3-processor/permissions", "ReadUploads");
      read.resources = [(read.resources as string[])[0]?.replace("/uploads/*", "/*")];
      const trust = statementOf(stack, "ec2-monitor/trust", "AssumedBy");
      (trust.principals as Array<{ identifiers: string[] }>)[0]?.identifiers.push("edgelambda.amazonaws.com");
      const metric = statementOf(stack, "ec2-monitor/permissions", "PublishInstanceMetric");
      (metric.condition as Array<{ values: string[] }>)[0]?.values.splice(0, 1, "Custom/*");
      metric.condition = [{ ...(metric.condition as Json[])[0], test: "StringLike" }];
    });

    // Act
    const lines = renderIamSection(iamReview(head, edited));

    // Assert
    expect(changeLines(sectionOf(lines, "s3-processor/policy"))).to.deep.equal([
      "- Resource: arn of uploads/bucket + /uploads/*",
      "+ Resource: arn of uploads/bucket + /*",
    ]);
    expect(changeLines(sectionOf(lines, "ec2-monitor/role"))).to.deep.equal([
      "+ Principal: Service edgelambda.amazonaws.com",
    ]);
    expect(changeLines(sectionOf(lines, "ec2-monitor/policy"))).to.deep.equal([
      "- Condition: StringEquals cloudwatch:namespace = Custom/EC2",
      "+ Condition: StringLike cloudwatch:namespace = Custom/*",
    ]);
    expect(lines).to.include("3 changed · 0 created · 0 removed · 7 unchanged");
  });

  it("a policy whose logical id changed is matched by construct path; identical stacks: no IAM changes", () => {
    // Arrange: the same construct under a new logical id (e.g. after a cdktf upgrade).
    const renamed = copy((stack) => {
      const policies = resources(stack).aws_iam_role_policy ?? {};
      const id = Object.keys(policies).find((k) => k.startsWith("s3-processor_policy_")) as string;
      policies["s3-processor_policy_RENAMED"] = policies[id] as Json;
      delete policies[id];
    });

    // Act
    const identical = renderIamSection(iamReview(head, structuredClone(head)));
    const moved = iamReview(head, renamed);

    // Assert
    expect(identical).to.deep.equal(["#### IAM", "", "_no IAM changes_ (10 policies unchanged)", ""]);
    expect(moved.created).to.have.length(0);
    expect(moved.removed).to.have.length(0);
    expect(moved.changed).to.have.length(0);
    expect(moved.unchanged.map((p) => p.owner)).to.include("aws_iam_role_policy.s3-processor_policy_RENAMED");
    expect(renderIamSection(moved)).to.deep.equal(identical);
  });
});
