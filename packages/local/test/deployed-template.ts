import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@lambdaform/testkit";
import { stackFingerprint } from "../src/dev/applied.ts";
import { startDev } from "../src/dev/dev.ts";
import { readStack } from "../src/stack/read-stack.ts";
import { devTestOptions } from "./helpers.ts";

const TEMPLATES = join(tmpdir(), "lambdaform-test-deployed");
const SOURCES = [
  fileURLToPath(new URL("../src/", import.meta.url)),
  fileURLToPath(new URL("../../moto/python/", import.meta.url)),
];
/** A template being made by another test process longer than this was abandoned. */
const STALE_LOCK_MS = 5 * 60_000;

/** Every file under `dir`, sorted. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();

/** What a deployed data directory depends on: the stack, and the code that deploys and keeps it. */
function templateKey(stackDir: string): string {
  const hash = createHash("sha256").update(stackFingerprint(readStack(stackDir)));
  for (const dir of SOURCES) for (const file of filesUnder(dir)) hash.update(file).update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fills `dataDir` (a `pnpm dev` data directory, `<root>/dev/dev`) with the dev stack as a cold
 * start leaves it: deployed, moto's state snapshotted, Terraform's state beside it. A suite that
 * needs a deployed stack, but does not test the first apply, starts from it as `pnpm dev` restarts
 * on a kept data directory: the apply is skipped (about 3 s instead of a cold start's 25 s of
 * terraform and moto work). The template is made once per stack and deploying code (by their
 * content), by whichever test process asks first; the others wait for it.
 */
export async function deployedDataDir(stackDir: string, dataDir: string): Promise<void> {
  const key = templateKey(stackDir);
  const template = join(TEMPLATES, key);
  const lock = `${template}.lock`;
  mkdirSync(TEMPLATES, { recursive: true });
  for (;;) {
    if (existsSync(join(template, "ready"))) break;
    try {
      mkdirSync(lock);
    } catch {
      // Another process makes it; wait, unless it was abandoned.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > STALE_LOCK_MS)
        rmSync(lock, { recursive: true, force: true });
      await sleep(250);
      continue;
    }
    try {
      await makeTemplate(stackDir, template);
      // Templates of other stacks or code are of no further use.
      for (const other of readdirSync(TEMPLATES))
        if (other !== key && !other.endsWith(".lock"))
          rmSync(join(TEMPLATES, other), { recursive: true, force: true });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  cpSync(join(template, "data"), dataDir, { recursive: true, verbatimSymlinks: true });
}

async function makeTemplate(stackDir: string, template: string): Promise<void> {
  const scratch = mkdtempSync(join(TEMPLATES, "making-"));
  try {
    const dev = await startDev(devTestOptions(stackDir, join(scratch, "data"), await freePort()));
    await dev.stop();
    rmSync(template, { recursive: true, force: true });
    writeFileSync(join(scratch, "ready"), `${new Date().toISOString()}\n`);
    renameSync(scratch, template);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}
