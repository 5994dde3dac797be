import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  utimesSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { hotBundle, vendorImports } from "../src/hot-bundle.ts";
import { staticVendorImports } from "../src/vendor-imports.ts";

const HELLO = fileURLToPath(new URL("../../functions/hello-api/", import.meta.url));
const PROCESSOR = fileURLToPath(new URL("../../functions/s3-processor/", import.meta.url));

// pnpm dev's hot reload builds: the same esbuild settings as the shipped build, kept warm.
describe("hotBundle", function () {
  this.timeout(60_000);
  let out: string;

  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), "lf-hot-"));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it("writes the bundle and a map whose sources are absolute paths that exist, with no reference in the bundle", async () => {
    // Prepare
    const bundle = await hotBundle(HELLO);
    try {
      // Act
      await bundle.build(join(out, "1"));
      // Assess
      const code = readFileSync(join(out, "1", "index.mjs"), "utf8");
      expect(code).not.to.contain("sourceMappingURL");
      const map = JSON.parse(readFileSync(join(out, "1", "index.mjs.map"), "utf8")) as { sources: string[] };
      const own = map.sources.filter((s) => s.includes("hello-api/src/"));
      expect(own.length).to.be.greaterThan(0);
      for (const source of map.sources) {
        expect(isAbsolute(source), source).to.equal(true);
        expect(existsSync(source), source).to.equal(true);
      }
    } finally {
      await bundle.dispose();
    }
  });

  it("builds again from what changed, into another directory, much faster than the first time", async () => {
    const bundle = await hotBundle(HELLO);
    try {
      const first = performance.now();
      await bundle.build(join(out, "1"));
      const firstMs = performance.now() - first;
      utimesSync(join(HELLO, "src", "handler.ts"), new Date(), new Date());
      const again = performance.now();
      await bundle.build(join(out, "2"));
      const againMs = performance.now() - again;
      expect(readFileSync(join(out, "2", "index.mjs"), "utf8")).to.equal(
        readFileSync(join(out, "1", "index.mjs"), "utf8"),
      );
      expect(againMs).to.be.below(firstMs);
    } finally {
      await bundle.dispose();
    }
  });

  it("puts the installed packages a function imports in vendor files beside it, and the bundle runs from there", async () => {
    // Prepare
    const bundle = await hotBundle(PROCESSOR);
    try {
      // Act
      await bundle.build(join(out, "1"));
      // Assess: its own code is small and imports the SDK from ./vendor; it loads and has a handler.
      const code = readFileSync(join(out, "1", "index.mjs"), "utf8");
      expect(code).to.match(/from"\.\/vendor\/aws-sdk__client-dynamodb\.mjs"/);
      expect(code.length).to.be.below(40_000);
      const loaded = spawnSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const m = await import(${JSON.stringify(join(out, "1", "index.mjs"))}); console.log(typeof m.handler);`,
        ],
        {
          encoding: "utf8",
          env: {
            ...process.env,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
            TABLE_NAME: "t",
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "x",
            AWS_SECRET_ACCESS_KEY: "y",
          },
        },
      );
      expect(loaded.stderr).to.equal("");
      expect(loaded.stdout.trim()).to.equal("function");
    } finally {
      await bundle.dispose();
    }
  });

  it("links every build that imports the same installed code to one vendor directory, so their imports resolve to the same files", async () => {
    // Prepare
    const bundle = await hotBundle(PROCESSOR);
    try {
      // Act: two saves, in two build directories, as pnpm dev makes them.
      await bundle.build(join(out, "1"));
      utimesSync(join(PROCESSOR, "src", "handler.ts"), new Date(), new Date());
      await bundle.build(join(out, "2"));
      // Assess: one real directory beside the builds, named by its content, that both link to.
      const first = realpathSync(join(out, "1", "vendor"));
      expect(first).to.equal(realpathSync(join(out, "2", "vendor")));
      expect(first).to.match(new RegExp(`^${realpathSync(out)}/vendor-[0-9a-f]{16}$`));
      expect(readdirSync(out).filter((e) => e.startsWith("vendor-"))).to.have.length(1);
      expect(existsSync(join(first, "aws-sdk__client-dynamodb.mjs"))).to.equal(true);
    } finally {
      await bundle.dispose();
    }
  });
});

describe("staticVendorImports", () => {
  it("lists the vendor files a bundle imports statically, in evaluation order, without its dynamic imports", () => {
    const code =
      'import"./vendor/dotenv.mjs";import{A as a}from"./vendor/x.mjs";import c,{D as d}from"./vendor/debug.mjs";' +
      'import*as e from"./vendor/x.mjs";const f=import("./vendor/lazy.mjs");';
    expect(staticVendorImports(code)).to.deep.equal([
      "./vendor/dotenv.mjs",
      "./vendor/x.mjs",
      "./vendor/debug.mjs",
    ]);
  });
});

describe("vendorImports", () => {
  it("reads each vendor import of a minified bundle: named, default, namespace, bare and dynamic", () => {
    const code =
      'import{A as a,B as b}from"./vendor/x.mjs";import c,{D as d}from"./vendor/y.mjs";' +
      'import*as e from"./vendor/z.mjs";import"./vendor/w.mjs";const f=import("./vendor/v.mjs");';
    const imports = vendorImports(code);
    const view = Object.fromEntries(
      [...imports].map(([spec, i]) => [spec, { names: [...i.names].sort(), everything: i.everything }]),
    );
    expect(view).to.deep.equal({
      "./vendor/x.mjs": { names: ["A", "B"], everything: false },
      "./vendor/y.mjs": { names: ["D", "default"], everything: false },
      "./vendor/z.mjs": { names: [], everything: true },
      "./vendor/w.mjs": { names: [], everything: false },
      "./vendor/v.mjs": { names: [], everything: true },
    });
  });
});
