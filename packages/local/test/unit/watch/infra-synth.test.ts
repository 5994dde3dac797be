import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { infraSynth } from "../../../src/watch/infra.ts";

const INFRA = fileURLToPath(new URL("../../../../infra/", import.meta.url));

// An infra edit that does not build (a save with a typo): pnpm dev says where, as it does for a
// function's build error, not with the loader's stack trace around it.
describe("infra reload's synth, when the infra sources do not build", function () {
  this.timeout(30_000);
  let root: string;
  before(() => {
    // A repository whose infra package's synth imports a source with a syntax error, run by the
    // real tsx (esbuild) the infra package uses.
    root = mkdtempSync(join(tmpdir(), "lf-infra-synth-"));
    const infra = join(root, "packages", "infra");
    mkdirSync(join(infra, "src", "bin"), { recursive: true });
    mkdirSync(join(infra, "src", "config"), { recursive: true });
    mkdirSync(join(infra, "node_modules", ".bin"), { recursive: true });
    symlinkSync(join(INFRA, "node_modules", ".bin", "tsx"), join(infra, "node_modules", ".bin", "tsx"));
    writeFileSync(join(infra, "src", "bin", "synth.ts"), 'import "../config/stages.ts";\n');
    writeFileSync(
      join(infra, "src", "config", "stages.ts"),
      'export const stages = {\n  "hello-api": { memoryMb: 192 timeoutSeconds: 3 },\n};\n',
    );
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("names the file, line and column and the compiler's message, relative to the repository, in two lines", async () => {
    const error = await infraSynth(root, "dev", join(root, "out"), 0)().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(
      /^the infra sources do not build:\npackages\/infra\/src\/config\/stages\.ts:2:31: ERROR: Expected "}" but found "timeoutSeconds"\n\(`pnpm synth` prints the whole output\)$/,
    );
  });
});
