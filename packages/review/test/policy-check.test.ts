import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listStacks, synthesize } from "@lambdaform/infra";
import { checkBaseline, RULES } from "@lambdaform/infra/policy";
import { expect } from "chai";
import { policySection } from "../src/policy-check.ts";

type Json = Record<string, unknown>;

describe("review: policy checks on a synthesized stack", function () {
  this.timeout(60_000);
  let stack: Json;

  before(() => {
    const outdir = mkdtempSync(join(tmpdir(), "lf-policy-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    const [synthesized] = listStacks(outdir);
    if (!synthesized) throw new Error("no stack");
    stack = synthesized.json;
  });

  it("says how many rules passed when there is no violation", () => {
    expect(policySection(checkBaseline(stack))).to.deep.equal([
      "#### Policy checks",
      "",
      `✅ ${RULES.length} rules passed`,
      "",
    ]);
  });

  it("lists a violation with its checkov ID and the resource's address: the public access block removed", () => {
    const edited = structuredClone(stack);
    const resources = edited.resource as Record<string, Record<string, Json>>;
    const [bucketId] = Object.keys(resources.aws_s3_bucket ?? {});
    expect(bucketId).to.be.a("string");
    delete resources.aws_s3_bucket_public_access_block;

    const lines = policySection(checkBaseline(edited));
    expect(lines.slice(0, 2)).to.deep.equal(["#### Policy checks", ""]);
    expect(lines).to.include(`❌ 1 violation of 1 rule; ${RULES.length - 1} rules passed`);
    expect(lines).to.include("| rule | resource | problem |");
    const rows = lines.filter((l) => l.startsWith("| `"));
    expect(rows).to.have.length(1);
    expect(rows[0]).to.match(
      new RegExp(
        `^\\| \`CKV2_AWS_6\` S3 buckets block all public access .*\\| \`aws_s3_bucket\\.${bucketId}\` \\| no aws_s3_bucket_public_access_block`,
      ),
    );
  });

  it("names lambdaform's rule where checkov has none, and keeps the table intact", () => {
    const lines = policySection([
      {
        rule: "LF_API_THROTTLING",
        title: "API Gateway stages throttle every method (rate and burst)",
        address: "aws_api_gateway_stage.api_stage",
        message: "a | b\nc",
      },
    ]);
    expect(lines).to.include(
      "| `LF_API_THROTTLING` API Gateway stages throttle every method (rate and burst) | `aws_api_gateway_stage.api_stage` | a \\| b c |",
    );
  });
});
