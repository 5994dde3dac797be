import { fileURLToPath } from "node:url";
import { mochaWithout } from "@lambdaform/testkit";
import { expect } from "chai";

// A machine without moto's server: the suite that needs it skips loudly, naming what to install, and its
// hooks pass.
describe("on a machine without moto's server", function () {
  this.timeout(120_000);

  it('skips "ec2-monitor against moto" loudly, and nothing fails', async () => {
    // Act
    const run = await mochaWithout(["moto_server"], {
      cwd: fileURLToPath(new URL("../", import.meta.url)),
      files: ["test/handler.test.ts"],
    });
    // Assess
    expect(run.failing, run.output).to.equal(0);
    expect(run.code, run.output).to.equal(0);
    expect(run.skipped, run.output).to.include("ec2-monitor against moto");
  });
});
