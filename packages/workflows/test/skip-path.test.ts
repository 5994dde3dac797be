import { fileURLToPath } from "node:url";
import { mochaWithout } from "@lambdaform/testkit";
import { expect } from "chai";

// A machine without shellcheck: the suite that needs it skips loudly, naming what to install, and its
// hooks pass.
describe("on a machine without shellcheck", function () {
  this.timeout(120_000);

  it('skips "shell scripts" loudly, and nothing fails', async () => {
    // Act
    const run = await mochaWithout(["shellcheck"], {
      cwd: fileURLToPath(new URL("../", import.meta.url)),
      files: ["test/workflows.test.ts"],
    });
    // Assess
    expect(run.failing, run.output).to.equal(0);
    expect(run.code, run.output).to.equal(0);
    expect(run.skipped, run.output).to.include("shell scripts");
  });
});
