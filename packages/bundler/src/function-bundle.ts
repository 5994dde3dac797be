import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Options } from "tsup";
import { builtinsByRequirePlugin, eagerDynamicImportsPlugin, envCredentialsPlugin } from "./plugins.ts";
import { base64Sha256, deterministicZip } from "./zip.ts";

/** What the build leaves beside the bundle, for infra and the local runtime to read. */
export interface BundleManifest {
  /** The Lambda handler string, `<file without extension>.<export>`. */
  readonly handler: string;
  /** The bundle file inside the zip. */
  readonly bundle: string;
  /** The zip, relative to the manifest. */
  readonly zip: string;
  /** The bundle's source map, beside it and never in the zip, relative to the manifest. */
  readonly sourceMap: string;
  /** Base64 SHA-256 of the zip: Terraform's `source_code_hash`. */
  readonly sourceCodeHash: string;
  readonly sizes: { readonly raw: number; readonly gzip: number; readonly zip: number };
}

export const BUNDLE_FILE = "index.mjs";
export const ZIP_FILE = "function.zip";
export const MANIFEST_FILE = "manifest.json";
/** The source map written beside the bundle (never inside function.zip). */
export const SOURCE_MAP_FILE = `${BUNDLE_FILE}.map`;
const SOURCE_MAP_COMMENT = /(?:\n?\/\/# sourceMappingURL=[^\n]*)+\n?$/;

/**
 * Takes out the references to the source map tsup appends to a bundle: the shipped bundle stays
 * without them (and so does the zip), byte for byte what a build without a source map gives.
 * Returns the bundle's bytes.
 */
export async function unlinkSourceMap(outDir: string): Promise<Buffer> {
  const built = await readFile(join(outDir, BUNDLE_FILE));
  const code = Buffer.from(built.toString("utf8").replace(SOURCE_MAP_COMMENT, ""));
  if (code.length !== built.length) await writeFile(join(outDir, BUNDLE_FILE), code);
  return code;
}

/** Writes `function.zip`, its base64 SHA-256 and `manifest.json` next to a built bundle. */
export async function packageFunction(outDir: string): Promise<BundleManifest> {
  const code = await unlinkSourceMap(outDir);
  const zip = deterministicZip([{ name: BUNDLE_FILE, data: code }]);
  const manifest: BundleManifest = {
    handler: "index.handler",
    bundle: BUNDLE_FILE,
    zip: ZIP_FILE,
    sourceMap: SOURCE_MAP_FILE,
    sourceCodeHash: base64Sha256(zip),
    sizes: { raw: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, zip: zip.byteLength },
  };
  await writeFile(join(outDir, ZIP_FILE), zip);
  await writeFile(join(outDir, `${ZIP_FILE}.sha256`), `${manifest.sourceCodeHash}\n`);
  await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// Bundled CommonJS dependencies, and builtinsByRequirePlugin, call require() for Node built-ins; an ESM
// file has none. Pure, so a bundle that never calls it (hello-api) drops the call.
const REQUIRE_SHIM =
  'import { createRequire as __lfCreateRequire } from "node:module";\nconst require = /* @__PURE__ */ __lfCreateRequire(import.meta.url);';

/**
 * What every build of a function sets in esbuild, shipped or hot: Node 20 syntax (it runs
 * unchanged on Lambda's nodejs22.x and on Node 20 machines), one minified ESM file, packages' ESM
 * entry points (smaller bundles and faster cold starts than CommonJS `main`), the require() shim,
 * and the three plugins that shape the bundle for a short cold start (see {@link functionBundle}).
 */
export function esbuildSettings(dir: string) {
  return {
    platform: "node",
    target: "node20",
    format: "esm",
    bundle: true,
    minify: true,
    mainFields: ["module", "main"],
    legalComments: "none",
    absWorkingDir: dir,
    banner: { js: REQUIRE_SHIM },
    plugins: [envCredentialsPlugin(), eagerDynamicImportsPlugin(), builtinsByRequirePlugin()],
    tsconfig: existsSync(join(dir, "tsconfig.json")) ? join(dir, "tsconfig.json") : undefined,
  } as const;
}

/** Builds the function whose package is `dir` with {@link functionBundle} (the `lambdaform-bundle` CLI). */
export async function buildFunction(
  dir: string,
  outDir = join(dir, "dist"),
  options: {
    readonly quiet?: boolean;
    /** The bundle and its map only, no zip (pnpm dev's hot reload runs the bundle as built). */
    readonly bundleOnly?: boolean;
    /**
     * Keeps line breaks (names and syntax still minified, the same tree-shaking), so a CPU profile's
     * line ticks tell each module's top-level statements apart. For `pnpm bench --only init`'s
     * profile; never shipped. Implies `bundleOnly`.
     */
    readonly keepLineBreaks?: boolean;
    /**
     * esbuild's own tree shaking only, without tsup's Rollup pass (JavaScript: 1.5 s of
     * s3-processor's 1.6 s build here, 4-6 s on a busy machine). For pnpm dev's hot reload: the
     * same code and semantics, a few more bytes; the shipped zip is always built with both.
     */
    readonly fast?: boolean;
  } = {},
): Promise<BundleManifest | undefined> {
  let manifest: BundleManifest | undefined;
  const config = functionBundle(dir, outDir, (m) => {
    manifest = m;
  });
  const bundleOnly = options.bundleOnly || options.keepLineBreaks;
  await build({
    ...config,
    ...(options.fast ? { treeshake: false } : {}),
    ...(bundleOnly ? { onSuccess: async () => void (await unlinkSourceMap(outDir)) } : {}),
    // Quiet: the caller reports errors itself (the thrown error carries esbuild's messages).
    esbuildOptions(esbuild, context) {
      config.esbuildOptions?.(esbuild, context);
      if (options.quiet) esbuild.logLevel = "silent";
      if (options.keepLineBreaks) {
        esbuild.minify = false;
        esbuild.minifyIdentifiers = true;
        esbuild.minifySyntax = true;
        esbuild.minifyWhitespace = false;
      }
    },
    config: false,
    silent: true,
  });
  if (!manifest && !bundleOnly) throw new Error(`${dir}: the build wrote no bundle`);
  return manifest;
}

/**
 * The tsup configuration every function builds with: `src/handler.ts` → one minified, tree-shaken
 * ESM file `dist/index.mjs` with every dependency (the AWS SDK included) bundled, then a
 * deterministic `dist/function.zip`. A source map goes beside the bundle (`index.mjs.map`), and the
 * bundle carries no reference to it, so the zip holds exactly the bytes it would without one; the
 * local runtime links the two when it unpacks a function.
 *
 * Three plugins shape the bundle for a short cold start (plugins.ts): the AWS SDK's default
 * credential chain is replaced by the environment's credentials (what Lambda gives a function; a
 * bundle never reads a profile or ~/.aws), dependencies' dynamic imports become static ones, so no
 * module is wrapped in a lazy initializer that V8 compiles twice, and Node built-ins are loaded with
 * require(), reading only the exports the bundle uses.
 *
 * Functions run it through the `lambdaform-bundle` CLI, so none keeps a tsup config of its own;
 * `pnpm dev` runs the same configuration in process to rebuild a function on save.
 */
export function functionBundle(
  dir: string = process.cwd(),
  outDir: string = join(dir, "dist"),
  onPackaged: (manifest: BundleManifest) => void = report,
): Options {
  const esbuild = esbuildSettings(dir);
  return {
    entry: { index: join(dir, "src", "handler.ts") },
    outDir,
    // The package's own tsconfig, whatever the working directory (pnpm dev builds in process).
    tsconfig: esbuild.tsconfig,
    format: [esbuild.format],
    platform: esbuild.platform,
    target: esbuild.target,
    bundle: esbuild.bundle,
    noExternal: [/.*/],
    minify: esbuild.minify,
    treeshake: true,
    splitting: false,
    // tsup carries the map through its Rollup tree-shaking pass; the references it and esbuild
    // append to the bundle are taken out again by packageFunction.
    sourcemap: true,
    clean: true,
    dts: false,
    outExtension: () => ({ js: ".mjs" }),
    banner: esbuild.banner,
    // Credentials from the environment only (as Lambda gives them), no lazily wrapped modules, and
    // built-ins through require(): see plugins.ts, and `pnpm bench --only init` for what each costs.
    esbuildPlugins: [...esbuild.plugins],
    // Keep `node:` in imports, so they reach builtinsByRequirePlugin rather than tsup's own handling.
    removeNodeProtocol: false,
    esbuildOptions(options) {
      options.mainFields = [...esbuild.mainFields];
      options.legalComments = esbuild.legalComments;
      options.absWorkingDir = esbuild.absWorkingDir;
    },
    async onSuccess() {
      onPackaged(await packageFunction(outDir));
    },
  };
}

function report(manifest: BundleManifest): void {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(
    `function.zip ${kb(manifest.sizes.zip)} (bundle ${kb(manifest.sizes.raw)}, gzip ${kb(manifest.sizes.gzip)}) sha256=${manifest.sourceCodeHash}`,
  );
}
