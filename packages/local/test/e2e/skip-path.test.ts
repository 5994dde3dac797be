import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mochaWithout } from "@lambdaform/testkit";
import { expect } from "chai";

const PACKAGE = fileURLToPath(new URL("../../", import.meta.url));
const HERE = fileURLToPath(new URL("./", import.meta.url));
/** Every e2e suite that needs a tool (the others run in full anyway), this one aside. */
const SUITES = readdirSync(HERE)
  .filter((file) => file.endsWith(".test.ts") && file !== "skip-path.test.ts")
  .filter((file) => /requirePrerequisite|motoForSuite/.test(readFileSync(`${HERE}${file}`, "utf8")))
  .map((file) => `test/e2e/${file}`);

// A fresh machine: the suites that need a tool skip loudly, naming what to install, and every hook
// passes (an after hook that cleaned up what a skipped before never made failed the whole run).
describe("the e2e suites on a machine without their tools", function () {
  this.timeout(180_000);

  it("skip the console's browser test loudly without Chromium, and its hooks pass", async () => {
    // Act
    const run = await mochaWithout(["chromium", "chromium-browser", "google-chrome"], {
      cwd: PACKAGE,
      files: ["test/e2e/console.test.ts"],
    });
    // Assess
    expect(run.failing, run.output).to.equal(0);
    expect(run.skipped).to.deep.equal(["the console in a real browser"]);
    expect(run.output).to.contain("chromium is not available: install Debian's chromium");
  });

  it("skip every suite that needs moto's Python, terraform or Chromium, loudly, and pass the rest", async () => {
    // Act
    const run = await mochaWithout(
      ["moto_server", "python3", "python", "terraform", "chromium", "chromium-browser", "google-chrome"],
      { cwd: PACKAGE, files: SUITES },
    );
    // Assess: nothing failed, each tool-bound suite said what to install.
    expect(run.failing, run.output).to.equal(0);
    expect(run.code, run.output).to.equal(0);
    expect(run.skipped).to.include.members([
      "the console in a real browser",
      "pnpm dev as a dev loop",
      "pnpm dev: the whole system on moto",
      "moto with a snapshot and a journal (pnpm dev's state)",
    ]);
    expect(run.output).not.to.match(/Error: .*is not available.*LAMBDAFORM_REQUIRE_TOOLS/);
  });
});
