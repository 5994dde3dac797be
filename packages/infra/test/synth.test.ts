import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { expect } from "chai";
import { synthesize } from "../src/app.ts";
import { readArtifact } from "../src/artifacts.ts";
import { applyBackend, backendFromEnv } from "../src/backend.ts";
import { App, TerraformStack } from "../src/cdktf.ts";
import { STAGES } from "../src/config/stages.ts";
import { LambdaformStack } from "../src/stack.ts";

function filesUnder(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return files;
}

describe("synth", () => {
  it("gives byte-identical output in any directory, with no absolute path in it", () => {
    // Prepare: two output directories at different depths, like two checkouts.
    const first = mkdtempSync(join(tmpdir(), "lf-a-"));
    const second = join(mkdtempSync(join(tmpdir(), "lf-b-")), "nested", "deeper");
    mkdirSync(second, { recursive: true });
    // Act
    synthesize({ outdir: first, backend: { kind: "local" } });
    synthesize({ outdir: second, backend: { kind: "local" } });
    // Assess
    const a = filesUnder(first);
    const b = filesUnder(second);
    expect([...a.keys()].sort()).to.deep.equal([...b.keys()].sort());
    for (const [path, bytes] of a) expect(bytes.equals(b.get(path) ?? Buffer.alloc(0)), path).to.equal(true);
    const repoRoot = new URL("../../../", import.meta.url).pathname;
    for (const [path, bytes] of a) {
      if (!path.endsWith(".json")) continue;
      const text = bytes.toString();
      expect(text, path).not.to.contain(first);
      expect(text, path).not.to.contain(repoRoot.replace(/\/$/, ""));
      expect(text, path).not.to.match(/"\/(tmp|home|root|work|Users)\//);
    }
  });

  it("copies each function's zip into the stack, unchanged, at the path Terraform reads", () => {
    const outdir = mkdtempSync(join(tmpdir(), "lf-assets-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    const json = JSON.parse(readFileSync(join(outdir, "stacks/lambdaform-dev/cdk.tf.json"), "utf8"));
    for (const fn of Object.values(json.resource.aws_lambda_function) as Array<Record<string, string>>) {
      const role = String(fn.function_name).replace("lambdaform-dev-", "") as "hello-api";
      const shipped = readFileSync(join(outdir, "stacks/lambdaform-dev", String(fn.filename)));
      expect(shipped.equals(readFileSync(readArtifact(role).zipPath)), role).to.equal(true);
      expect(fn.source_code_hash).to.equal(readArtifact(role).sourceCodeHash);
    }
  });

  it("adds an e-mail subscription to the alarm topic when a stage configures one", () => {
    const outdir = mkdtempSync(join(tmpdir(), "lf-email-"));
    const app = new App({ outdir, skipValidation: true });
    new LambdaformStack(app, {
      config: { ...STAGES.dev, alarmEmail: "oncall@example.com" },
      backend: { kind: "local" },
      artifact: readArtifact,
    });
    app.synth();
    const json = JSON.parse(readFileSync(join(outdir, "stacks/lambdaform-dev/cdk.tf.json"), "utf8"));
    expect(Object.values(json.resource.aws_sns_topic_subscription)).to.deep.equal([
      {
        "//": (Object.values(json.resource.aws_sns_topic_subscription)[0] as Record<string, unknown>)["//"],
        endpoint: "oncall@example.com",
        protocol: "email",
        topic_arn: `\${${"aws_sns_topic"}.${Object.keys(json.resource.aws_sns_topic)[0]}.arn}`,
      },
    ]);
  });
});

describe("backend", () => {
  it("is local unless LAMBDAFORM_STATE_BUCKET is set", () => {
    expect(backendFromEnv({})).to.deep.equal({ kind: "local" });
  });

  it("is S3 with encryption and S3-native locking when configured", () => {
    // Prepare
    const config = backendFromEnv({
      LAMBDAFORM_STATE_BUCKET: "acme-tfstate",
      LAMBDAFORM_STATE_REGION: "eu-west-1",
    });
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "lf-backend-")), skipValidation: true });
    const stack = new TerraformStack(app, "probe");
    // Act
    applyBackend(stack, "lambdaform-prod", config);
    const terraform = (JSON.parse(JSON.stringify(stack.toTerraform())) as { terraform: { backend: unknown } })
      .terraform;
    // Assess
    expect(terraform.backend).to.deep.equal({
      s3: {
        bucket: "acme-tfstate",
        key: "lambdaform/lambdaform-prod.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it("names the missing region variable", () => {
    expect(() => backendFromEnv({ LAMBDAFORM_STATE_BUCKET: "acme-tfstate" })).to.throw(
      /LAMBDAFORM_STATE_REGION is missing/,
    );
  });
});
