import { fileURLToPath } from "node:url";
import { mochaWithout } from "@lambdaform/testkit";
import { expect } from "chai";

// A machine without moto's server: the suite that needs it skips loudly, naming what to install, and its
// hooks pass.
describe("on a machine without moto's server", function () {
  this.timeout(120_000);

  it('skips "startMoto" loudly, and nothing fails', async () => {
    // Act
    const run = await mochaWithout(["moto_server"], {
      cwd: fileURLToPath(new URL("../", import.meta.url)),
      files: ["test/moto.test.ts"],
    });
    // Assess
    expect(run.failing, run.output).to.equal(0);
    expect(run.code, run.output).to.equal(0);
    expect(run.skipped, run.output).to.include("startMoto");
  });
});
