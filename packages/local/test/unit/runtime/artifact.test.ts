import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { strToU8, type Zippable, zipSync } from "fflate";
import { unpackFunction } from "../../../src/runtime/artifact.ts";
import type { FunctionSpec } from "../../../src/stack/read-stack.ts";

const FILE = { os: 3, attrs: (0o100644 << 16) >>> 0 };
const LINK = { os: 3, attrs: (0o120777 << 16) >>> 0 };
const HANDLER = strToU8("export const handler = async () => 'ok';\n");

/** Writes a zip of `entries` (name → contents, or [contents, options]) and a spec that points at it. */
function zipOf(entries: Zippable): {
  spec: FunctionSpec;
  cacheDir: string;
  root: string;
} {
  const root = mkdtempSync(join(tmpdir(), "lf-zip-"));
  const zip = zipSync(entries);
  const zipPath = join(root, "function.zip");
  writeFileSync(zipPath, zip);
  const spec = {
    name: "lambdaform-test-evil",
    shortName: "evil",
    zipPath,
    sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
  } as FunctionSpec;
  // The task root is <root>/cache/lambdaform-test-evil/<hash>/: three levels up is <root>.
  return { spec, cacheDir: join(root, "cache"), root };
}

describe("unpacking a function's zip: every entry stays in the task root (zip slip)", () => {
  it("refuses an entry that climbs out with .., naming the entry and the zip, and writes nothing outside", () => {
    // Prepare
    const { spec, cacheDir, root } = zipOf({
      "index.mjs": HANDLER,
      "../../../escaped.txt": strToU8("pwned"),
    });
    // Act + Assess
    expect(() => unpackFunction(spec, cacheDir)).to.throw(
      `evil: ${spec.zipPath}: zip entry "../../../escaped.txt" climbs out with .., outside the function's task root`,
    );
    expect(existsSync(join(root, "escaped.txt"))).to.equal(false);
    expect(existsSync(join(cacheDir, "lambdaform-test-evil"))).to.equal(false);
  });

  it("refuses one that climbs out part-way through its name (a/../../..)", () => {
    const { spec, cacheDir, root } = zipOf({
      "index.mjs": HANDLER,
      "a/../../../../escaped.txt": strToU8("pwned"),
    });
    expect(() => unpackFunction(spec, cacheDir)).to.throw('zip entry "a/../../../../escaped.txt" climbs out');
    expect(existsSync(join(root, "escaped.txt"))).to.equal(false);
  });

  it("refuses an absolute entry name", () => {
    const target = join(mkdtempSync(join(tmpdir(), "lf-abs-")), "escaped.txt");
    const { spec, cacheDir } = zipOf({ "index.mjs": HANDLER, [target]: strToU8("pwned") });
    expect(() => unpackFunction(spec, cacheDir)).to.throw(`zip entry "${target}" is an absolute path`);
    expect(existsSync(target)).to.equal(false);
  });

  it("refuses a symbolic link entry whose target is outside, directly or through another link", () => {
    for (const entries of [
      { "index.mjs": HANDLER, out: [strToU8("../../../.."), LINK] },
      { "index.mjs": HANDLER, out: [strToU8("/etc"), LINK] },
      // `here` is the task root itself: `here/up` is then the task root's parent.
      { "index.mjs": HANDLER, here: [strToU8("."), LINK], "here/up": [strToU8(".."), LINK] },
    ] as Zippable[]) {
      const { spec, cacheDir } = zipOf(entries);
      expect(() => unpackFunction(spec, cacheDir), JSON.stringify(Object.keys(entries))).to.throw(
        /zip entry "(out|here\/up)" is a symbolic link to ".*", outside the function's task root/,
      );
      expect(existsSync(join(cacheDir, "lambdaform-test-evil"))).to.equal(false);
    }
  });

  it("unpacks a zip whose entries stay inside, with its links inside as links", () => {
    const { spec, cacheDir } = zipOf({
      "index.mjs": [HANDLER, FILE],
      "lib/util.mjs": [strToU8("export {};\n"), FILE],
      "lib/../other.mjs": [strToU8("export {};\n"), FILE],
      "alias.mjs": [strToU8("index.mjs"), LINK],
      "lib/up.mjs": [strToU8("../index.mjs"), LINK],
    });
    const taskRoot = unpackFunction(spec, cacheDir);
    expect(readFileSync(join(taskRoot, "index.mjs"), "utf8")).to.contain("handler");
    expect(readFileSync(join(taskRoot, "other.mjs"), "utf8")).to.equal("export {};\n");
    expect(lstatSync(join(taskRoot, "alias.mjs")).isSymbolicLink()).to.equal(true);
    expect(readlinkSync(join(taskRoot, "lib/up.mjs"))).to.equal("../index.mjs");
    expect(readFileSync(join(taskRoot, "lib/up.mjs"), "utf8")).to.contain("handler");
  });
});
