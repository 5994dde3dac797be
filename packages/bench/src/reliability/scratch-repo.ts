import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What a copy leaves out: the git history, local state, results, and the installed packages' store. */
const LEFT_OUT = new Set([".git", ".lambdaform", "bench-results", "node_modules/.pnpm"]);

/**
 * A working copy of the repository for a scenario that edits sources as a person does: the
 * sources, build outputs and turbo's cache copied (so the first build is a cache hit), the
 * installed packages linked. Every `node_modules` is copied as the links it is (relative ones
 * resolve into the copy: `@lambdaform/local`, the CLI, is the copy's), but the root's `.pnpm`
 * store, which is a link to this repository's. The repository itself is never edited, whatever
 * happens to the run.
 */
export function scratchRepo(root: string): { readonly dir: string; remove(): void } {
  const dir = join(mkdtempSync(join(tmpdir(), "lf-session-repo-")), "repo");
  cpSync(root, dir, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => {
      const name = source.slice(root.length).replace(/^\/+/, "");
      return !LEFT_OUT.has(name) && !name.includes("/.hot-");
    },
  });
  symlinkSync(join(root, "node_modules", ".pnpm"), join(dir, "node_modules", ".pnpm"));
  return {
    dir,
    remove: () => rmSync(join(dir, ".."), { recursive: true, force: true }),
  };
}
