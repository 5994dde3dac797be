import { existsSync, lstatSync, mkdtempSync, readdirSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findExecutable, requirePrerequisite, withEnv } from "@lambdaform/testkit";
import { expect } from "chai";
import { PLUGIN_CACHE_ENV, TERRAFORM_INSTALL_HINT } from "../src/terraform/cli.ts";
import { findProviderMirror, MIRROR_ENV } from "../src/terraform/mirror.ts";
import {
  awsProviderVersion,
  initStack,
  listStacks,
  planOffline,
  validateStack,
} from "../src/terraform/stacks.ts";
import { synthOnce } from "./helpers.ts";

// The real terraform CLI judges the synthesized stacks: `validate`, then an offline `plan`.
describe("terraform CLI on the synthesized stacks", function () {
  this.timeout(240_000);
  let outdir: string;
  let work: string;

  before(function () {
    requirePrerequisite(this, "terraform", findExecutable("terraform"), TERRAFORM_INSTALL_HINT);
    outdir = synthOnce().outdir;
    work = mkdtempSync(join(tmpdir(), "lambdaform-tf-work-"));
    const [first] = listStacks(outdir);
    if (first && !findProviderMirror(awsProviderVersion(first))) {
      process.stderr.write(
        `\n  note: no local mirror of the AWS provider (set ${MIRROR_ENV}); terraform init will use the registry\n\n`,
      );
    }
  });

  it("validates every stack", async () => {
    const results = await Promise.all(listStacks(outdir).map((stack) => validateStack(stack, work)));
    for (const { stack, report } of results) {
      expect(report.diagnostics, stack).to.deep.equal([]);
      expect(report.valid, stack).to.equal(true);
    }
    expect(results.map((r) => r.stack)).to.deep.equal(["lambdaform-dev", "lambdaform-prod"]);
  });

  it("shares one provider installation: a new working directory gets a link to the cache, not a copy", async function () {
    const [stack] = listStacks(outdir);
    if (!stack) throw new Error("no stack");
    const version = awsProviderVersion(stack);
    if (!findProviderMirror(version)) {
      process.stderr.write(
        `\n  note: no local provider mirror (${MIRROR_ENV}): the shared cache is used only with one\n\n`,
      );
      this.skip();
    }
    // Prepare: a cache of this test's own, and a working directory nobody has initialised.
    const cache = mkdtempSync(join(tmpdir(), "lambdaform-tf-cache-"));
    const restore = withEnv({ [PLUGIN_CACHE_ENV]: cache });
    try {
      // Act: one init primes the cache; two more run at once in directories without a lock file.
      // (init alone: installing is what uses the cache; validating was the test above.)
      const init = (dir: string) => initStack(stack, dir, { backend: false });
      const { workdir } = await init(mkdtempSync(join(tmpdir(), "lambdaform-tf-new-")));
      const entry = (platform: string) =>
        join(cache, "registry.terraform.io", "hashicorp", "aws", version, platform);
      const primed = readdirSync(join(cache, "registry.terraform.io", "hashicorp", "aws", version)).map(
        (platform) => String(lstatSync(entry(platform), { bigint: true }).mtimeNs),
      );
      await Promise.all([1, 2].map(() => init(mkdtempSync(join(tmpdir(), "lambdaform-tf-new-")))));
      // Assess: the cache entry is used as it is, never installed again (which raced).
      expect(
        readdirSync(join(cache, "registry.terraform.io", "hashicorp", "aws", version)).map((platform) =>
          String(lstatSync(entry(platform), { bigint: true }).mtimeNs),
        ),
      ).to.deep.equal(primed);
      const providers = join(
        workdir,
        ".terraform",
        "providers",
        "registry.terraform.io",
        "hashicorp",
        "aws",
        version,
      );
      for (const platform of readdirSync(providers)) {
        const installed = join(providers, platform);
        expect(lstatSync(installed).isSymbolicLink(), installed).to.equal(true);
        expect(realpathSync(installed)).to.equal(
          realpathSync(
            join(
              findProviderMirror(version) ?? "",
              "registry.terraform.io",
              "hashicorp",
              "aws",
              version,
              platform,
            ),
          ),
        );
        expect(
          lstatSync(
            join(cache, "registry.terraform.io", "hashicorp", "aws", version, platform),
          ).isSymbolicLink(),
        ).to.equal(true);
      }
    } finally {
      restore();
    }
  });

  it("plans every stack offline: only creates, every resource of the synth, and a JSON plan on disk", async () => {
    const stacks = listStacks(outdir);
    const results = await Promise.all(stacks.map((stack) => planOffline(stack, work)));
    for (const [index, result] of results.entries()) {
      const stack = stacks[index];
      if (!stack) throw new Error("stack");
      const declared = Object.values(stack.json.resource as Record<string, object>).reduce(
        (n, byId) => n + Object.keys(byId).length,
        0,
      );
      const changes = result.plan.resource_changes as Array<{ mode: string; change: { actions: string[] } }>;
      // Policy documents that depend on ARNs known only after apply show up as deferred reads.
      const managed = changes.filter((c) => c.mode === "managed");
      expect(
        managed.map((c) => c.change.actions.join(",")).filter((a) => a !== "create"),
        stack.name,
      ).to.deep.equal([]);
      expect(managed.length, stack.name).to.equal(declared);
      expect(existsSync(result.planFile) && existsSync(result.jsonFile)).to.equal(true);
      expect(result.plan.format_version).to.be.a("string");
    }
  });
});
