import { fileURLToPath } from "node:url";
import { mochaWithout } from "@lambdaform/testkit";
import { expect } from "chai";

// A machine without terraform: the suite that needs it skips loudly, naming what to install, and its
// hooks pass.
describe("on a machine without terraform", function () {
  this.timeout(120_000);

  it('skips "review: real create-only plans (terraform plan offline)" loudly, and nothing fails', async () => {
    // Act
    const run = await mochaWithout(["terraform"], {
      cwd: fileURLToPath(new URL("../", import.meta.url)),
      files: ["test/review.test.ts"],
    });
    // Assess
    expect(run.failing, run.output).to.equal(0);
    expect(run.code, run.output).to.equal(0);
    expect(run.skipped, run.output).to.include("review: real create-only plans (terraform plan offline)");
  });
});
