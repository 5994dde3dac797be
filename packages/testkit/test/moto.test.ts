import { expect } from "chai";
import {
  captureOutput,
  findMotoServer,
  MOTO_INSTALL_HINT,
  type MotoServer,
  requirePrerequisite,
  startMoto,
} from "../src/index.ts";

describe("startMoto", function () {
  this.timeout(60_000);
  let moto: MotoServer | undefined;

  before(async function () {
    const executable = requirePrerequisite(this, "moto_server", findMotoServer(), MOTO_INSTALL_HINT);
    moto = await startMoto(executable);
  });

  after(async () => moto?.stop());

  it("serves moto on a loopback port and stops it by PID", async () => {
    // Prepare
    const server = moto as MotoServer;
    // Act
    const response = await fetch(`${server.endpoint}/moto-api/data.json`);
    await server.stop();
    // Assess
    expect(response.status).to.equal(200);
    expect(server.endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(() => process.kill(server.pid, 0)).to.throw();
  });
});

describe("requirePrerequisite", () => {
  it("fails instead of skipping when LAMBDAFORM_REQUIRE_TOOLS=1", () => {
    const previous = process.env.LAMBDAFORM_REQUIRE_TOOLS;
    process.env.LAMBDAFORM_REQUIRE_TOOLS = "1";
    try {
      expect(() =>
        requirePrerequisite({ skip() {} }, "frobnicator", undefined, "apt-get install frobnicator"),
      ).to.throw(/frobnicator is not available: apt-get install frobnicator/);
    } finally {
      if (previous === undefined) delete process.env.LAMBDAFORM_REQUIRE_TOOLS;
      else process.env.LAMBDAFORM_REQUIRE_TOOLS = previous;
    }
  });

  it("skips loudly, naming what to install, otherwise", async () => {
    const previous = process.env.LAMBDAFORM_REQUIRE_TOOLS;
    delete process.env.LAMBDAFORM_REQUIRE_TOOLS;
    let skipped = false;
    try {
      const { output } = await captureOutput(async () => {
        expect(() =>
          requirePrerequisite(
            { skip: () => (skipped = true) },
            "frobnicator",
            undefined,
            "apt-get install frobnicator",
          ),
        ).to.throw(/unreachable/);
      });
      expect(output).to.match(/SKIPPED .*frobnicator is not available: apt-get install frobnicator/);
    } finally {
      if (previous !== undefined) process.env.LAMBDAFORM_REQUIRE_TOOLS = previous;
    }
    expect(skipped).to.equal(true);
  });
});
