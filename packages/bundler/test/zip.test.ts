import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { unzipSync } from "fflate";
import { base64Sha256, deterministicZip, packageFunction } from "../src/index.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("deterministicZip", () => {
  it("gives identical bytes whatever the entry order and the time zone", () => {
    // Prepare
    const a = { name: "a.mjs", data: text("export const a = 1;") };
    const b = { name: "b.mjs", data: text("export const b = 2;") };
    // Act
    const first = deterministicZip([a, b]);
    const second = deterministicZip([b, a]);
    const script = `import { deterministicZip } from ${JSON.stringify(new URL("../src/zip.ts", import.meta.url).pathname)};
      process.stdout.write(Buffer.from(deterministicZip([{ name: "a.mjs", data: new TextEncoder().encode("export const a = 1;") }, { name: "b.mjs", data: new TextEncoder().encode("export const b = 2;") }])).toString("base64"));`;
    const otherZone = execFileSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        env: { ...process.env, TZ: "Pacific/Kiritimati" },
      },
    ).toString();
    // Assess
    expect(Buffer.from(first).equals(Buffer.from(second))).to.equal(true);
    expect(otherZone).to.equal(Buffer.from(first).toString("base64"));
  });

  it("holds the files readable by any zip reader", () => {
    const zip = deterministicZip([{ name: "index.mjs", data: text("export const handler = 1;") }]);
    expect(new TextDecoder().decode(unzipSync(zip)["index.mjs"])).to.equal("export const handler = 1;");
  });
});

describe("packageFunction", () => {
  it("writes the zip, its base64 SHA-256 and a manifest beside the bundle", async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "lf-bundle-"));
    writeFileSync(join(dir, "index.mjs"), "export const handler = async () => 1;\n");
    // Act
    const manifest = await packageFunction(dir);
    // Assess
    const zip = readFileSync(join(dir, "function.zip"));
    expect(manifest.sourceCodeHash).to.equal(base64Sha256(zip));
    expect(readFileSync(join(dir, "function.zip.sha256"), "utf8").trim()).to.equal(manifest.sourceCodeHash);
    expect(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"))).to.deep.include({
      handler: "index.handler",
      bundle: "index.mjs",
      zip: "function.zip",
    });
    expect(manifest.sizes.zip).to.equal(zip.byteLength);
  });

  it("keeps the bundle without a source-map reference, so the zip holds exactly what a build without a map would", async () => {
    // Prepare: a bundle as tsup leaves it when it writes a map beside it (esbuild ends a minified
    // bundle without a newline; tsup adds one before the reference).
    const plain = "export const handler = async () => 1;";
    const dir = mkdtempSync(join(tmpdir(), "lf-bundle-"));
    writeFileSync(join(dir, "index.mjs"), `${plain}\n//# sourceMappingURL=index.mjs.map`);
    const reference = mkdtempSync(join(tmpdir(), "lf-bundle-"));
    writeFileSync(join(reference, "index.mjs"), plain);
    // Act
    const manifest = await packageFunction(dir);
    // Assess
    expect(readFileSync(join(dir, "index.mjs"), "utf8")).to.equal(plain);
    expect(manifest.sourceCodeHash).to.equal((await packageFunction(reference)).sourceCodeHash);
    expect(Object.keys(unzipSync(readFileSync(join(dir, "function.zip"))))).to.deep.equal(["index.mjs"]);
    expect(manifest.sourceMap).to.equal("index.mjs.map");
  });
});
