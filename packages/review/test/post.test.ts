import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { synthesize } from "@lambdaform/infra";
import { expect } from "chai";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** A stand-in for GitHub's REST API: comments and labels of one pull request, every call recorded. */
function github(): Promise<{
  api: string;
  server: Server;
  calls: string[];
  labels: Set<string>;
  comments: Array<{ id: number; body: string }>;
}> {
  const comments: Array<{ id: number; body: string }> = [];
  const labels = new Set<string>(["bug"]);
  const calls: string[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const url = new URL(String(req.url), "http://x");
    calls.push(`${req.method} ${url.pathname}`);
    res.setHeader("content-type", "application/json");
    const path = url.pathname;
    if (req.method === "GET" && path.endsWith("/comments"))
      return res.end(JSON.stringify(url.searchParams.get("page") === "1" ? comments : []));
    if (req.method === "POST" && path.endsWith("/comments")) {
      const id = comments.length + 100;
      comments.push({ id, body: (JSON.parse(body) as { body: string }).body });
      return res.end(JSON.stringify({ id }));
    }
    if (req.method === "PATCH" && path.includes("/issues/comments/")) {
      const found = comments.find((c) => c.id === Number(path.split("/").at(-1)));
      if (found) found.body = (JSON.parse(body) as { body: string }).body;
      return res.end(JSON.stringify({ id: found?.id }));
    }
    if (req.method === "GET" && path.endsWith("/labels"))
      return res.end(JSON.stringify([...labels].map((name) => ({ name }))));
    if (req.method === "POST" && path.endsWith("/labels")) {
      for (const l of (JSON.parse(body) as { labels: string[] }).labels) labels.add(l);
      return res.end("[]");
    }
    if (req.method === "DELETE" && path.includes("/labels/")) {
      labels.delete(decodeURIComponent(path.split("/").at(-1) ?? ""));
      return res.end("[]");
    }
    res.statusCode = 404;
    return res.end("{}");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        server,
        calls,
        labels,
        comments,
      }),
    ),
  );
}

/** `pnpm review` as CI runs it (async: the stand-in answers from this process). */
function review(args: string[], env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, "packages/local/bin/lambdaform.mjs"), "review", ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => resolve({ code, err }));
  });
}

describe("pnpm review --post: the comment and the plan:* labels through GitHub's API", function () {
  this.timeout(120_000);
  let base: string;
  let head: string;

  before(() => {
    base = mkdtempSync(join(tmpdir(), "lf-post-base-"));
    synthesize({ outdir: base, stages: ["dev"], backend: { kind: "local" } });
    head = mkdtempSync(join(tmpdir(), "lf-post-head-"));
    cpSync(base, head, { recursive: true });
    // The PR: s3-processor 256 → 512 MB and one more action on its policy.
    const file = join(head, "stacks", "lambdaform-dev", "cdk.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8"));
    for (const fn of Object.values(json.resource.aws_lambda_function) as Array<Record<string, unknown>>)
      if (String(fn.function_name).endsWith("s3-processor")) fn.memory_size = 512;
    for (const doc of Object.values(json.data.aws_iam_policy_document) as Array<{
      statement: Array<{ actions?: string[] }>;
    }>)
      for (const s of doc.statement)
        if (s.actions?.includes("s3:GetObject")) s.actions.push("s3:DeleteObject");
    writeFileSync(file, JSON.stringify(json));
  });

  it("posts once, labels add-or-update and iam-change once, and a rerun calls no label write again", async () => {
    const gh = await github();
    const env = { GITHUB_TOKEN: "ghs_test", GITHUB_REPOSITORY: "acme/lambdaform", GITHUB_API_URL: gh.api };
    const args = [
      "--base",
      base,
      "--head",
      head,
      "--sha",
      "a".repeat(40),
      "--base-sha",
      "b".repeat(40),
      "--post",
      "--pr",
      "7",
    ];
    try {
      const first = await review(args, env);
      expect(first.code, first.err).to.equal(0);
      const writesAfterFirst = gh.calls.filter((c) => /^(POST|DELETE) .*labels/.test(c));
      expect(writesAfterFirst).to.deep.equal(["POST /repos/acme/lambdaform/issues/7/labels"]);
      expect([...gh.labels].sort()).to.deep.equal(["bug", "plan:add-or-update", "plan:iam-change"]);
      expect(gh.comments).to.have.length(1);
      const body = gh.comments[0]?.body ?? "";
      expect(body).to.contain("+ Action: s3:DeleteObject");
      expect(body).to.contain("- `s3-processor`: 2 to change (`policy`, `memory_size` 256 → 512)");
      expect(body).to.match(/\| s3-processor \| 256 → 512 MB \| arm64 \| \$0\.53 \| \$0\.87 \| \+\$0\.33 \|/);
      expect(body).to.contain("head `aaaaaaaaaaaa` · base `bbbbbbbbbbbb`");
      const second = await review(args, env);
      expect(second.code, second.err).to.equal(0);
      expect(gh.calls.filter((c) => /^(POST|DELETE) .*labels/.test(c))).to.deep.equal(writesAfterFirst);
      expect(gh.comments).to.have.length(1);
      // The PR is reverted: no changes, so plan:no-changes replaces the others, in one line.
      const reverted = await review(["--base", base, "--head", base, "--post", "--pr", "7"], env);
      expect(reverted.code, reverted.err).to.equal(0);
      expect([...gh.labels].sort()).to.deep.equal(["bug", "plan:no-changes"]);
      expect(gh.comments[0]?.body.trim().split("\n")).to.have.length(3);
    } finally {
      gh.server.close();
    }
  });

  it("fails the check (exit 1) and labels plan:policy-violation when the head breaks the security baseline", async () => {
    const bad = mkdtempSync(join(tmpdir(), "lf-post-bad-"));
    cpSync(base, bad, { recursive: true });
    const file = join(bad, "stacks", "lambdaform-dev", "cdk.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8"));
    delete json.resource.aws_s3_bucket_public_access_block;
    writeFileSync(file, JSON.stringify(json));
    const gh = await github();
    const env = { GITHUB_TOKEN: "ghs_test", GITHUB_REPOSITORY: "acme/lambdaform", GITHUB_API_URL: gh.api };
    try {
      const run = await review(["--base", base, "--head", bad, "--post", "--pr", "8"], env);
      expect(run.code).to.equal(1);
      expect(run.err).to.contain("1 security-baseline violation(s)");
      expect(gh.labels.has("plan:policy-violation")).to.equal(true);
      expect(gh.comments[0]?.body).to.contain("`CKV2_AWS_6`");
    } finally {
      gh.server.close();
    }
  });
});
