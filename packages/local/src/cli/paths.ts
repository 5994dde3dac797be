import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this package holding pnpm-workspace.yaml. */
export function repoRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${start}`);
    dir = parent;
  }
}

/** Where `pnpm synth` writes a stage's stack. */
export function stackDir(root: string, stage: string): string {
  return join(root, "packages", "infra", "cdktf.out", "stacks", `lambdaform-${stage}`);
}

/** Local state: unpacked bundles, dead letters (and, under `pnpm dev`, moto and Terraform state). */
export function defaultDataDir(root: string): string {
  return join(root, ".lambdaform");
}
