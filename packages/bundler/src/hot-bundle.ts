import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { type BuildContext, context, type OutputFile, type Plugin } from "esbuild";
import { BUNDLE_FILE, esbuildSettings, SOURCE_MAP_FILE } from "./function-bundle.ts";
import { type Imported, vendorImports } from "./vendor-imports.ts";

export { vendorImports } from "./vendor-imports.ts";

/** A function's bundle kept ready to build again, as pnpm dev's hot reload uses it. */
export interface HotBundle {
  /**
   * Builds the package's sources as they are now into `outDir`: the bundle, its map, and `vendor`,
   * a link to the vendor files' directory (see {@link vendorDirName}).
   */
  build(outDir: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Where the installed packages a function imports go, beside its bundle. */
const VENDOR_DIR = "vendor";

/**
 * The directory, beside the builds (`outDir`'s parent), that holds one set of vendor files: named
 * by what they hold, written once, and linked from every build that imports the same. Node resolves
 * an import through the link to the real file, so builds that share vendor files share their URLs:
 * an execution environment that imported them ahead (pnpm dev's spare environments) runs the next
 * build without loading them again.
 */
export const vendorDirName = (key: string) => `vendor-${key.slice(0, 16)}`;

/** The source of a vendor entry: exactly what the function's code imports of the package. */
function vendorEntry(pkg: string, imported: Imported): string {
  // A namespace import (or import()) reads the module's named exports; a default import is named.
  const named = [...imported.names].sort();
  if (imported.everything)
    return `export * from ${JSON.stringify(pkg)};\n${named.length > 0 ? `export { ${named.join(", ")} } from ${JSON.stringify(pkg)};\n` : ""}`;
  const names = [...imported.names].sort();
  return names.length > 0
    ? `export { ${names.join(", ")} } from ${JSON.stringify(pkg)};\n`
    : `import ${JSON.stringify(pkg)};\n`;
}

/** A file name for a package in the vendor directory: `@aws-sdk/client-ec2` → `aws-sdk__client-ec2.mjs`. */
const vendorFile = (pkg: string) => `${pkg.replace(/^@/, "").replace(/[^A-Za-z0-9._-]/g, "__")}.mjs`;

/**
 * pnpm dev's hot reload of a function, built in two parts as Vite pre-bundles dependencies: the
 * function's own code (its sources and the workspace's, `packages/shared`) is rebuilt at every save,
 * and imports the installed packages it uses from vendor files beside it, which are built only
 * when what it imports of them changes. Both with every setting of the shipped build
 * ({@link esbuildSettings}) and esbuild's tree shaking (without the shipped build's Rollup pass).
 * Rebuilding ec2-monitor whole printed its 750 KB of AWS SDK at every save: 0.4 s on an idle
 * machine, up to 1.5 s beside a running stack; its own code alone is a few kilobytes. The code
 * that runs is the same; the zip that ships, and what `pnpm dev` deploys at start, always come
 * from the full build, as one file.
 *
 * @throws esbuild's failure (its `errors` name file, line and column) when the sources do not build.
 */
export async function hotBundle(dir: string): Promise<HotBundle> {
  const settings = esbuildSettings(dir);
  /** Installed packages are left to the vendor build (an import of one becomes `./vendor/<file>`), by where they were imported from. */
  const vendorPackages = new Map<string, string>();
  /**
   * Installed packages bundled with the function's own code after all: those imported whole
   * (`import * as v from "valibot"`), which a vendor file would hold whole (85 KB for valibot, 5
   * KB of it used), where the bundle keeps only what is used.
   */
  const inline = new Set<string>();
  const toVendor: Plugin = {
    name: "lambdaform-hot-vendor",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.vendorCheck) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { vendorCheck: true },
        });
        // Node built-ins, and the workspace's own packages (linked sources), stay as they are.
        if (
          resolved.errors.length > 0 ||
          resolved.external ||
          !resolved.path.includes(`${"/"}node_modules${"/"}`)
        )
          return undefined;
        if (resolved.namespace !== "file") return undefined;
        const pkg = /^(@[^/]+\/[^/]+|[^/]+)/.exec(args.path)?.[1] ?? args.path;
        if (inline.has(pkg)) return undefined;
        // Resolved, in the vendor build, from where it was imported (shared's dependencies are
        // installed for shared, not for the function).
        if (!vendorPackages.has(pkg)) vendorPackages.set(pkg, args.resolveDir);
        return { path: `./${VENDOR_DIR}/${vendorFile(pkg)}`, external: true };
      });
    },
  };
  const own: BuildContext<{ write: false; outdir: string }> = await context({
    ...settings,
    plugins: [toVendor, ...settings.plugins],
    mainFields: [...settings.mainFields],
    entryPoints: { index: join(dir, "src", "handler.ts") },
    outdir: join(dir, "dist"),
    outExtension: { ".js": ".mjs" },
    sourcemap: "external",
    // The map points at the sources on disk (a debugger and the host's stack-trace mapping read
    // them there), not their text.
    sourcesContent: false,
    write: false,
    logLevel: "silent",
  });
  let vendor:
    | {
        key: string;
        files: OutputFile[];
        ctx: BuildContext<{ write: false; outdir: string }>;
        content: string;
      }
    | undefined;

  const buildVendor = async (imports: Map<string, Imported>) => {
    const entries = [...imports].map(([spec, imported]) => {
      const file = basename(spec);
      const pkg = [...vendorPackages.keys()].find((p) => vendorFile(p) === file);
      if (!pkg) throw new Error(`the hot bundle imports ${spec}, which names no installed package`);
      return { file, source: vendorEntry(pkg, imported), from: vendorPackages.get(pkg) ?? dir };
    });
    const key = createHash("sha256").update(JSON.stringify(entries)).digest("hex");
    if (vendor?.key === key) return vendor;
    await vendor?.ctx.dispose();
    const sources = new Map(entries.map((e) => [e.file.replace(/\.mjs$/, ""), e]));
    const ctx: BuildContext<{ write: false; outdir: string }> = await context({
      ...settings,
      plugins: [
        {
          name: "lambdaform-hot-vendor-entries",
          setup(build) {
            build.onResolve({ filter: /^lambdaform-vendor:/ }, (args) => ({
              path: args.path.slice("lambdaform-vendor:".length),
              namespace: "lambdaform-vendor",
            }));
            build.onLoad({ filter: /.*/, namespace: "lambdaform-vendor" }, (args) => ({
              contents: sources.get(args.path)?.source ?? "",
              loader: "js",
              resolveDir: sources.get(args.path)?.from ?? dir,
            }));
          },
        },
        ...settings.plugins,
      ],
      mainFields: [...settings.mainFields],
      entryPoints: Object.fromEntries([...sources.keys()].map((name) => [name, `lambdaform-vendor:${name}`])),
      outdir: join(dir, "dist", VENDOR_DIR),
      outExtension: { ".js": ".mjs" },
      // Packages that share code (the AWS SDK's core) share a chunk, not a copy each.
      splitting: true,
      chunkNames: "chunk-[hash]",
      sourcemap: "external",
      sourcesContent: false,
      write: false,
      logLevel: "silent",
    });
    const result = await ctx.rebuild();
    // Named by what the files hold: the same imports of other installed versions are other files.
    const content = createHash("sha256");
    for (const file of result.outputFiles) content.update(file.path).update(file.contents);
    vendor = { key, files: result.outputFiles, ctx, content: content.digest("hex") };
    return vendor;
  };

  /** Writes the vendor files once into their directory beside `outDir` (whole, or not at all). */
  const writeVendor = async (outDir: string, key: string, files: OutputFile[]) => {
    const shared = join(dirname(outDir), vendorDirName(key));
    if (existsSync(shared)) return shared;
    const partial = `${shared}.${process.pid}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    const vendorOut = resolve(join(dir, "dist", VENDOR_DIR));
    await Promise.all(
      files.map((file) =>
        writeFile(
          join(partial, relative(vendorOut, file.path)),
          file.path.endsWith(".map") ? absoluteMap(file) : file.contents,
        ),
      ),
    );
    await rename(partial, shared).catch(async (error: NodeJS.ErrnoException) => {
      // Another build wrote the same files first.
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(shared)) throw error;
    });
    return shared;
  };

  /** A map's sources made absolute: they were relative to where esbuild meant to write it. */
  const absoluteMap = (file: OutputFile) => {
    const map = JSON.parse(file.text) as { sources?: string[] };
    const from = resolve(file.path, "..");
    map.sources = (map.sources ?? []).map((source) => resolve(from, source));
    return JSON.stringify(map);
  };

  return {
    async build(outDir) {
      let result = await own.rebuild();
      const code = () => {
        const file = result.outputFiles.find((f) => basename(f.path) === BUNDLE_FILE);
        if (!file) throw new Error(`the hot build of ${dir} wrote no ${BUNDLE_FILE}`);
        return file.text;
      };
      let imports = vendorImports(code());
      const whole = [...imports]
        .filter(([, imported]) => imported.everything)
        .map(([spec]) => basename(spec));
      if (whole.length > 0) {
        for (const pkg of vendorPackages.keys()) if (whole.includes(vendorFile(pkg))) inline.add(pkg);
        result = await own.rebuild();
        imports = vendorImports(code());
      }
      const built = await buildVendor(imports);
      await mkdir(outDir, { recursive: true });
      const shared = await writeVendor(outDir, built.content, built.files);
      await Promise.all([
        ...result.outputFiles.map((file) => {
          const name = basename(file.path);
          if (name !== BUNDLE_FILE && name !== SOURCE_MAP_FILE) throw new Error(`unexpected output ${name}`);
          return writeFile(join(outDir, name), name === SOURCE_MAP_FILE ? absoluteMap(file) : file.contents);
        }),
        rm(join(outDir, VENDOR_DIR), { recursive: true, force: true }).then(() =>
          symlink(relative(outDir, shared), join(outDir, VENDOR_DIR), "dir"),
        ),
      ]);
    },
    async dispose() {
      await own.dispose();
      await vendor?.ctx.dispose();
    },
  };
}
