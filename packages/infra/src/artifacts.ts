import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FunctionName } from "./config/stages.ts";

/** What a function's build leaves in its dist/ (written by @lambdaform/bundler). */
export interface FunctionArtifact {
  readonly name: FunctionName;
  /** Absolute path of dist/function.zip; synth copies it into the stack as an asset. */
  readonly zipPath: string;
  readonly handler: string;
  /** Base64 SHA-256 of the zip: `source_code_hash`. */
  readonly sourceCodeHash: string;
}

/** packages/functions/ of this checkout. */
export const FUNCTIONS_DIR = new URL("../../functions/", import.meta.url);

/**
 * Reads the prebuilt artifact of a function. Infra never bundles: it needs `pnpm build` first,
 * which turbo runs before `synth`.
 */
export function readArtifact(name: FunctionName, functionsDir: URL = FUNCTIONS_DIR): FunctionArtifact {
  const dist = new URL(`${name}/dist/`, functionsDir);
  let manifest: { handler: string; zip: string; sourceCodeHash: string };
  try {
    manifest = JSON.parse(readFileSync(new URL("manifest.json", dist), "utf8"));
  } catch (error) {
    throw new Error(
      `No build of function "${name}" (${fileURLToPath(dist)}manifest.json: ${(error as Error).message}). ` +
        "Run `pnpm build` first (or `pnpm synth`, which builds the functions).",
    );
  }
  return {
    name,
    zipPath: fileURLToPath(new URL(manifest.zip, dist)),
    handler: manifest.handler,
    sourceCodeHash: manifest.sourceCodeHash,
  };
}
