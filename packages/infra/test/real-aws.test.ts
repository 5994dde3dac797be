import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const script = fileURLToPath(new URL("../src/bin/real-aws.ts", import.meta.url));
const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", env, stdio: "pipe" });

describe("pnpm run plan / deploy against real AWS", () => {
  const bare = { PATH: process.env.PATH ?? "", HOME: "/nonexistent-home" };

  it("refuses with a clear message when there are no AWS credentials", () => {
    const result = run(["plan"], bare);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain("No AWS credentials found");
    expect(result.stderr).to.contain("plan:offline");
  });

  it("refuses with a clear message when terraform is not installed", () => {
    const result = run(["deploy"], {
      ...bare,
      PATH: fileURLToPath(new URL("../node_modules/.bin", import.meta.url)),
    });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/terraform is not on PATH: install the terraform CLI/);
  });

  it("will not deploy unattended without --auto-approve", () => {
    const result = run(["deploy"], { ...bare, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain("--auto-approve");
  });
});
