import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Options } from "tsup";
import { base64Sha256, deterministicZip } from "./zip.ts";

/** What the build leaves beside the bundle, for infra and the local runtime to read. */
export interface BundleManifest {
  /** The Lambda handler string, `<file without extension>.<export>`. */
  readonly handler: string;
  /** The bundle file inside the zip. */
  readonly bundle: string;
  /** The zip, relative to the manifest. */
  readonly zip: string;
  /** Base64 SHA-256 of the zip: Terraform's `source_code_hash`. */
  readonly sourceCodeHash: string;
  readonly sizes: { readonly raw: number; readonly gzip: number; readonly zip: number };
}

export const BUNDLE_FILE = "index.mjs";
export const ZIP_FILE = "function.zip";
export const MANIFEST_FILE = "manifest.json";

/** Writes `function.zip`, its base64 SHA-256 and `manifest.json` next to a built bundle. */
export async function packageFunction(outDir: string): Promise<BundleManifest> {
  const code = await readFile(join(outDir, BUNDLE_FILE));
  const zip = deterministicZip([{ name: BUNDLE_FILE, data: code }]);
  const manifest: BundleManifest = {
    handler: "index.handler",
    bundle: BUNDLE_FILE,
    zip: ZIP_FILE,
    sourceCodeHash: base64Sha256(zip),
    sizes: { raw: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, zip: zip.byteLength },
  };
  await writeFile(join(outDir, ZIP_FILE), zip);
  await writeFile(join(outDir, `${ZIP_FILE}.sha256`), `${manifest.sourceCodeHash}\n`);
  await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// Bundled CommonJS dependencies may still call require() for Node built-ins; an ESM file has none.
const REQUIRE_SHIM =
  'import { createRequire as __lfCreateRequire } from "node:module";\nconst require = __lfCreateRequire(import.meta.url);';

/** Builds the function whose package is `dir` with {@link functionBundle} (the `lambdaform-bundle` CLI). */
export async function buildFunction(dir: string): Promise<void> {
  process.chdir(dir);
  await build({ ...functionBundle(), config: false, silent: true });
}

/**
 * The tsup configuration every function builds with: `src/handler.ts` → one minified, tree-shaken
 * ESM file `dist/index.mjs` with every dependency (the AWS SDK included) bundled, then a
 * deterministic `dist/function.zip`.
 *
 * Functions run it through the `lambdaform-bundle` CLI, so none keeps a tsup config of its own.
 */
export function functionBundle(): Options {
  return {
    entry: { index: "src/handler.ts" },
    outDir: "dist",
    format: ["esm"],
    platform: "node",
    // Node 20 syntax runs unchanged on Lambda's nodejs22.x and on Node 20 machines.
    target: "node20",
    bundle: true,
    noExternal: [/.*/],
    minify: true,
    treeshake: true,
    splitting: false,
    sourcemap: false,
    clean: true,
    dts: false,
    outExtension: () => ({ js: ".mjs" }),
    banner: { js: REQUIRE_SHIM },
    esbuildOptions(options) {
      // Prefer packages' ESM entry points: smaller bundles and faster cold starts than CommonJS `main`.
      options.mainFields = ["module", "main"];
      options.legalComments = "none";
    },
    async onSuccess() {
      const manifest = await packageFunction("dist");
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      console.log(
        `function.zip ${kb(manifest.sizes.zip)} (bundle ${kb(manifest.sizes.raw)}, gzip ${kb(manifest.sizes.gzip)}) sha256=${manifest.sourceCodeHash}`,
      );
    },
  };
}
