/**
 * What `pnpm dev` records of its applies, beside Terraform's state in the stack's working
 * directory: what was applied last (so an unchanged stack skips terraform apply) and an apply in
 * progress (so a start after a SIGKILL part-way knows moto may hold what the state lacks).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import type { SynthesizedStack } from "@lambdaform/infra/terraform";
import { localOverrideFiles, stateFileName } from "./overrides.ts";

/** What was applied last: the stack's fingerprint, the state it left, and moto's state id then. */
export interface AppliedRecord {
  readonly fingerprint: string;
  readonly state: string;
  readonly motoStateId: string;
}

/** Kept inside `.terraform/`, which a fresh copy of the stack into the working directory keeps. */
export const APPLIED_FILE = join(".terraform", "lambdaform-applied.json");

/**
 * Written before `terraform apply` runs and removed once it ended: found at a start, the last apply
 * was killed part-way (pnpm dev SIGKILLed), so moto may hold resources Terraform's state lacks.
 */
export const APPLYING_FILE = join(".terraform", "lambdaform-applying.json");

/** An apply that was killed part-way; `firstApply`: the stack had never been deployed before it. */
export interface InterruptedApply {
  readonly firstApply: boolean;
}

/** The apply the last pnpm dev was killed in, if it was. */
export function interruptedApply(workRoot: string, stack: SynthesizedStack): InterruptedApply | undefined {
  try {
    const record = JSON.parse(readFileSync(join(workRoot, stack.name, APPLYING_FILE), "utf8"));
    return { firstApply: record?.firstApply === true };
  } catch {
    return undefined;
  }
}

/** Forgets what Terraform deployed (its state and the records here), to deploy afresh. */
export function forgetDeployment(workRoot: string, stack: SynthesizedStack): void {
  const workdir = join(workRoot, stack.name);
  for (const file of [stateFileName(stack), `${stateFileName(stack)}.backup`, APPLYING_FILE, APPLIED_FILE])
    rmSync(join(workdir, file), { force: true });
}

export const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * What decides an apply's outcome: every file of the synthesized stack (assets included) and the
 * local overrides. The gateway's port is left out: it changes where the provider connects, not
 * what it deploys.
 */
export function stackFingerprint(stack: SynthesizedStack): string {
  const hash = createHash("sha256");
  for (const file of filesUnder(stack.dir))
    hash.update(`${relative(stack.dir, file)}\0`).update(readFileSync(file));
  for (const override of localOverrideFiles(stack, "http://gateway").files)
    hash.update(`${override.name}\0${override.content}`);
  return hash.digest("hex");
}

export const stateHash = (workdir: string, stack: SynthesizedStack) => {
  const file = join(workdir, stateFileName(stack));
  return existsSync(file) ? sha256(readFileSync(file)) : "";
};

export function readApplied(workdir: string): AppliedRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(workdir, APPLIED_FILE), "utf8")) as AppliedRecord;
  } catch {
    return undefined;
  }
}
