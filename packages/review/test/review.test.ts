import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listStacks, planOffline, synthesize } from "@lambdaform/infra";
import { findExecutable, requirePrerequisite } from "@lambdaform/testkit";
import { expect } from "chai";
import {
  composeReview,
  diffSynth,
  GITHUB_COMMENT_LIMIT,
  marker,
  PlanFormatError,
  parsePlan,
  readTraffic,
  renderComment,
  upsertComment,
} from "../src/index.ts";

type Json = Record<string, unknown>;

describe("review: real create-only plans (terraform plan offline)", function () {
  this.timeout(120_000);
  let planText: string;
  let head: Json;

  before(async function () {
    requirePrerequisite(
      this,
      "terraform",
      findExecutable("terraform"),
      "install the terraform CLI (>= 1.10)",
    );
    const outdir = mkdtempSync(join(tmpdir(), "lf-review-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    const [stack] = listStacks(outdir);
    if (!stack) throw new Error("no stack");
    const { jsonFile } = await planOffline(stack, join(outdir, "offline"));
    planText = readFileSync(jsonFile, "utf8");
    head = JSON.parse(readFileSync(join(outdir, "stacks", "lambdaform-dev", "cdk.tf.json"), "utf8"));
  });

  it("prints the status line, a table row per resource and the full plan folded", () => {
    const set = parsePlan(planText, "lambdaform-dev");
    const comment = renderComment(set, { sha: "0123456789abcdef0123", versions: { cdktf: "0.21.0" } });
    expect(comment.startsWith(marker("lambdaform-dev"))).to.equal(true);
    expect(comment).to.contain("**Plan: 52 to add, 0 to change, 0 to destroy.**");
    expect(comment.match(/^\| create \| /gm)).to.have.length(52);
    expect(comment).to.contain("<details><summary>Full plan</summary>");
    expect(comment).to.match(/head `0123456789ab` · terraform 1\.\d+\.\d+ · cdktf 0\.21\.0/);
    expect(comment).not.to.contain("[!CAUTION]");
  });

  it("without the synthesized stack, lists role policies whose statements are only known after apply", () => {
    const comment = renderComment(parsePlan(planText, "lambdaform-dev"));
    expect(comment).to.match(/`aws_iam_role_policy\.s3-processor_policy_\w+`: policy known only after apply/);
  });

  it("with it, shows every statement of every policy, by construct path, and every resource by role", () => {
    const { comment, labels } = composeReview(
      { set: parsePlan(planText, "lambdaform-dev"), head },
      { traffic: readTraffic(fileURLToPath(new URL("../../../", import.meta.url))) },
    );
    const documents = Object.values(
      (head.data as Json).aws_iam_policy_document as Record<string, { statement: unknown[] }>,
    );
    const statements = documents.reduce((n, d) => n + d.statement.length, 0);
    expect(comment).not.to.contain("known only after apply");
    const iam = comment.slice(comment.indexOf("#### IAM"), comment.indexOf("#### Policy checks"));
    expect(iam.match(/Effect: (Allow|Deny)/g)).to.have.length(statements);
    expect(comment).to.contain("arn of uploads/bucket + /uploads/*");
    expect(comment).to.match(/- `s3-processor`: \d+ to add/);
    expect(comment).to.contain("✅ 16 rules passed");
    expect(labels).to.deep.equal(["plan:add-or-update", "plan:iam-change"]);
  });

  it("trims the folded plan to stay under GitHub's comment limit, and says so", () => {
    const comment = renderComment(parsePlan(planText, "lambdaform-dev"), { limit: 6000 });
    expect(comment.length).to.be.at.most(6000);
    expect(comment).to.match(
      /(table rows|characters) trimmed to stay under GitHub.s 6000-character comment limit/,
    );
    expect(GITHUB_COMMENT_LIMIT).to.equal(65_536);
  });
});

describe("review: offline diff of two synthesized stacks", () => {
  let base: Json;
  const edit = (change: (stack: Json) => void) => {
    const head = structuredClone(base);
    change(head);
    return diffSynth(JSON.stringify(base), JSON.stringify(head), "lambdaform-dev");
  };
  const resources = (stack: Json) => stack.resource as Record<string, Record<string, Json>>;
  const documents = (stack: Json) =>
    (stack.data as Json).aws_iam_policy_document as Record<string, { statement: Json[] }>;

  before(() => {
    const outdir = mkdtempSync(join(tmpdir(), "lf-review-synth-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    base = JSON.parse(readFileSync(join(outdir, "stacks", "lambdaform-dev", "cdk.tf.json"), "utf8"));
  });

  it("shows a changed IAM statement's action diff at the top of the comment", () => {
    // Act: widen the processor's read access, the kind of change reviewers miss.
    const set = edit((stack) => {
      for (const doc of Object.values(documents(stack))) {
        for (const s of doc.statement)
          if (s.sid === "ReadUploads") s.actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"];
      }
    });
    const comment = renderComment(set);
    // Assess
    expect(comment).to.contain("**Plan: 0 to add, 1 to change, 0 to destroy.**");
    const iam = comment.indexOf("#### IAM changes");
    expect(iam).to.be.greaterThan(0);
    expect(iam).to.be.lessThan(comment.indexOf("| Action | Resource |"));
    expect(comment).to.match(
      /@@ aws_iam_role_policy\.s3-processor_policy_\w+ — statement ReadUploads \(changed\) @@\n\+ Action: {3}s3:DeleteObject/,
    );
  });

  it("warns loudly first about every deleted resource", () => {
    const set = edit((stack) => {
      const alarms = resources(stack).aws_cloudwatch_metric_alarm ?? {};
      for (const id of Object.keys(alarms).filter((k) => k.includes("errors"))) delete alarms[id];
    });
    const comment = renderComment(set);
    expect(comment).to.contain("**Plan: 0 to add, 0 to change, 3 to destroy.**");
    expect(comment.indexOf("[!CAUTION]")).to.be.lessThan(comment.indexOf("| Action |"));
    expect(
      comment.match(/^> - destroy `aws_cloudwatch_metric_alarm\.alarms_[\w-]+-errors_\w+`$/gm),
    ).to.have.length(3);
  });

  it("reports no changes for identical stacks in one line that replaces the earlier comment", () => {
    const comment = renderComment(
      edit(() => {}),
      { sha: "0123456789abcdef", labels: ["plan:no-changes"] },
    );
    expect(comment.trim().split("\n")).to.deep.equal([
      marker("lambdaform-dev"),
      "<!-- lambdaform-labels:plan:no-changes -->",
      "**lambdaform-dev: no changes.** Infrastructure matches the configuration. <sub>head `0123456789ab`</sub>",
    ]);
  });
});

describe("review: bad input", () => {
  it("explains an empty plan, a non-JSON plan and JSON that is not a plan", () => {
    expect(() => parsePlan("", "s")).to.throw(PlanFormatError, /plan file is empty/);
    expect(() => parsePlan("Terraform will perform…", "s")).to.throw(PlanFormatError, /not JSON/);
    expect(() => parsePlan('{"resource":{}}', "s")).to.throw(
      PlanFormatError,
      /not a terraform JSON plan \(no format_version\)/,
    );
    expect(() => parsePlan('{"format_version":"1.2","resource_changes":[{"address":"a"}]}', "s")).to.throw(
      PlanFormatError,
      /resource_changes\[0\] lacks address, type or change\.actions/,
    );
    expect(() => diffSynth("{}", "[]", "s")).to.throw(PlanFormatError, /not a synthesized cdk\.tf\.json/);
  });
});

describe("review: one sticky comment per stack", () => {
  it("creates the comment once, then updates it in place, sending the token only as a header", async () => {
    // Prepare: a stand-in for GitHub's REST API on loopback.
    const comments: Array<{ id: number; body: string }> = [{ id: 1, body: "unrelated" }];
    const seen: Array<{ method: string; url: string; auth: string | undefined }> = [];
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      seen.push({ method: String(req.method), url: String(req.url), auth: req.headers.authorization });
      res.setHeader("content-type", "application/json");
      if (req.method === "GET") return res.end(JSON.stringify(comments));
      const parsed = JSON.parse(body) as { body: string };
      if (req.method === "POST") {
        comments.push({ id: 42, body: parsed.body });
        return res.end(JSON.stringify({ id: 42 }));
      }
      const id = Number(String(req.url).split("/").at(-1));
      const found = comments.find((c) => c.id === id);
      if (found) found.body = parsed.body;
      return res.end(JSON.stringify({ id }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // Act
      const options = { repo: "acme/lambdaform", pr: 7, stack: "lambdaform-dev", token: "ghs_secret", api };
      const first = await upsertComment({ ...options, body: `${marker("lambdaform-dev")}\nfirst` });
      const second = await upsertComment({ ...options, body: `${marker("lambdaform-dev")}\nsecond` });
      const other = await upsertComment({
        ...options,
        stack: "lambdaform-prod",
        body: `${marker("lambdaform-prod")}\nprod`,
      });
      // Assess
      expect([first.action, second.action, other.action]).to.deep.equal(["created", "updated", "created"]);
      expect(second.id).to.equal(first.id);
      expect(comments.filter((c) => c.body.includes("lambdaform-dev"))).to.deep.equal([
        { id: 42, body: `${marker("lambdaform-dev")}\nsecond` },
      ]);
      expect(seen.every((r) => r.auth === "Bearer ghs_secret" && !r.url.includes("ghs_secret"))).to.equal(
        true,
      );
    } finally {
      server.close();
    }
  });
});
