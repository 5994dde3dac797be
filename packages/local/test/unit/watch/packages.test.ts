import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { functionPackages, functionSourceDirs } from "../../../src/watch/packages.ts";

// Hot reload's warm-up on a fresh clone's first pnpm dev: turbo's build runs beside the start, so
// no function package has its dist/ yet when the warm-up picks what to build.
describe("the function packages hot reload warms up", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "lf-packages-"));
    for (const name of ["hello-api", "s3-processor"]) {
      mkdirSync(join(root, "packages", "functions", name, "src"), { recursive: true });
      writeFileSync(
        join(root, "packages", "functions", name, "src", "handler.ts"),
        "export const handler = 1;\n",
      );
    }
    mkdirSync(join(root, "packages", "functions", "notes"), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("are every package with a handler source, built or not (none is built on a fresh clone)", () => {
    expect(functionPackages(root)).to.deep.equal([]);
    expect(functionSourceDirs(root)).to.deep.equal([
      join(root, "packages", "functions", "hello-api"),
      join(root, "packages", "functions", "s3-processor"),
    ]);
  });
});
