import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Temporary directories of a suite, removed together by `removeAll()`: an `after` hook that calls
 * it passes whether the `before` hook made them, made some, or skipped before making any.
 *
 * @example
 * const scratch = scratchDirs();
 * before(function () { requirePrerequisite(this, …); dataRoot = scratch.make("lf-dev-data-"); });
 * after(() => scratch.removeAll());
 */
export function scratchDirs(): { make(prefix: string): string; removeAll(): void } {
  const made: string[] = [];
  return {
    make(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    removeAll() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
