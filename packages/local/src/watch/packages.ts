import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StackSpec } from "../stack/read-stack.ts";

/** A function package of the workspace, and what its last build left in `dist/`. */
export interface FunctionPackage {
  /** `packages/functions/<name>`. */
  readonly dir: string;
  /** The zip's base64 SHA-256 (`dist/manifest.json`), which the stack's `source_code_hash` names. */
  readonly sourceCodeHash: string;
  /** `dist/index.mjs.map`, when the build wrote one. */
  readonly sourceMap?: string;
}

/** Every function package with a build in `dist/`. */
/**
 * The function packages by their sources (`packages/functions/<name>/src/handler.ts`), built or
 * not: what hot reload's warm-up builds. On a fresh clone's first `pnpm dev`, turbo's build runs
 * beside the start, so no package has its `dist/` yet when the warm-up begins.
 */
export function functionSourceDirs(root: string): string[] {
  const base = join(root, "packages", "functions");
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .map((name) => join(base, name))
    .filter((dir) => existsSync(join(dir, "src", "handler.ts")));
}

export function functionPackages(root: string): FunctionPackage[] {
  const base = join(root, "packages", "functions");
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((name) => {
    const dir = join(base, name);
    const manifestFile = join(dir, "dist", "manifest.json");
    if (!existsSync(manifestFile)) return [];
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
      sourceCodeHash: string;
      sourceMap?: string;
    };
    const sourceMap = manifest.sourceMap ? join(dir, "dist", manifest.sourceMap) : undefined;
    return [
      {
        dir,
        sourceCodeHash: manifest.sourceCodeHash,
        sourceMap: sourceMap && existsSync(sourceMap) ? sourceMap : undefined,
      },
    ];
  });
}

/**
 * Which package built each function of a stack: the package whose last build is the zip the stack
 * deploys (same SHA-256). A function whose zip no package built now (an older build) has none.
 */
export function packagesOfStack(
  stack: StackSpec,
  packages: ReadonlyArray<FunctionPackage>,
): Map<string, FunctionPackage> {
  const byHash = new Map(packages.map((p) => [p.sourceCodeHash, p]));
  const out = new Map<string, FunctionPackage>();
  for (const fn of stack.functions) {
    const pkg = byHash.get(fn.sourceCodeHash);
    if (pkg) out.set(fn.name, pkg);
  }
  return out;
}

/** Where each function's bundle has its source map: the map of the package that built its zip. */
export function sourceMapOf(root: string): (spec: { readonly sourceCodeHash: string }) => string | undefined {
  let byHash: Map<string, FunctionPackage> | undefined;
  return (spec) => {
    byHash ??= new Map(functionPackages(root).map((p) => [p.sourceCodeHash, p]));
    return byHash.get(spec.sourceCodeHash)?.sourceMap;
  };
}
