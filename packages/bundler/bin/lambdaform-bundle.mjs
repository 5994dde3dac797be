#!/usr/bin/env node
// Builds the function in the current directory: dist/index.mjs, dist/function.zip and its hash.
import { register } from "tsx/esm/api";

register();
const { buildFunction } = await import("../src/function-bundle.ts");
try {
  await buildFunction(process.cwd());
} catch (error) {
  console.error(`lambdaform-bundle: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
