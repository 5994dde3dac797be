import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import type { FunctionSpec } from "../stack/read-stack.ts";
import { linkSourceMap } from "./source-maps.ts";

/**
 * Unpacks a function's deployment zip (the exact artifact Terraform uploads) into
 * `<cacheDir>/<function>/<hash>/`, as Lambda unpacks it into /var/task. Unpacked once per hash.
 * With `sourceMap` (the bundle's map, which never ships in the zip) the unpacked bundle is linked
 * to it, for debuggers and mapped stack traces.
 *
 * @throws when the zip is missing or no longer matches the `source_code_hash` that was synthesized.
 */
export function unpackFunction(spec: FunctionSpec, cacheDir: string, sourceMap?: string): string {
  if (!existsSync(spec.zipPath)) {
    throw new Error(`${spec.shortName}: deployment package ${spec.zipPath} is missing. Run \`pnpm synth\`.`);
  }
  const zip = readFileSync(spec.zipPath);
  const hash = createHash("sha256").update(zip).digest("base64");
  if (spec.sourceCodeHash && hash !== spec.sourceCodeHash) {
    throw new Error(
      `${spec.shortName}: ${spec.zipPath} does not match its source_code_hash in the stack. Run \`pnpm synth\` again.`,
    );
  }
  const taskRoot = join(cacheDir, spec.name, hash.replace(/[^A-Za-z0-9]/g, "").slice(0, 16));
  if (existsSync(join(taskRoot, ".complete"))) {
    linkSourceMap(taskRoot, sourceMap);
    return taskRoot;
  }
  const staging = `${taskRoot}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  for (const [name, data] of Object.entries(unzipSync(zip))) {
    if (name.endsWith("/")) continue;
    const target = join(staging, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
  writeFileSync(join(staging, ".complete"), "");
  rmSync(taskRoot, { recursive: true, force: true });
  mkdirSync(dirname(taskRoot), { recursive: true });
  renameSync(staging, taskRoot);
  linkSourceMap(taskRoot, sourceMap);
  return taskRoot;
}
