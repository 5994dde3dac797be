import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  awsProviderVersion,
  prepareWorkdir,
  runTerraform,
  type SynthesizedStack,
  terraform,
  terraformEnv,
} from "@lambdaform/infra/terraform";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import { ADMIN_CREDENTIALS, ADMIN_ENV } from "../identity.ts";
import {
  APPLIED_FILE,
  APPLYING_FILE,
  type AppliedRecord,
  readApplied,
  sha256,
  stackFingerprint,
  stateHash,
} from "./applied.ts";
import { precreateQueues, QUEUE_IMPORTS_FILE, uploadFunctionCode } from "./apply-shortcuts.ts";
import { localOverrideFiles, stateFileName } from "./overrides.ts";
import type { SharedProvider } from "./provider.ts";

/** One resource change of an apply, as `terraform apply -json` announced it. */
export interface PlannedChange {
  readonly address: string;
  /** Terraform's action: create, update, replace, delete, … */
  readonly action: string;
}

export interface ApplyResult {
  readonly workdir: string;
  /**
   * Resources Terraform added, changed and destroyed ("Apply complete! Resources: …"); `imported`:
   * those created before the apply and adopted (queues, see apply-shortcuts.ts), counted apart.
   */
  readonly changes: {
    readonly add: number;
    readonly change: number;
    readonly destroy: number;
    readonly imported?: number;
  };
  readonly planned: ReadonlyArray<PlannedChange>;
  readonly notices: ReadonlyArray<string>;
  /** True when neither the stack nor the state changed since the last apply, so none ran. */
  readonly skipped: boolean;
}

/** A working copy of the stack with the local overrides, initialised. */
async function prepareLocal(
  stack: SynthesizedStack,
  workRoot: string,
  endpoint: string,
  onProgress: (line: string) => void,
  provider?: SharedProvider,
) {
  const workdir = prepareWorkdir(stack, workRoot);
  const { files, notices } = localOverrideFiles(stack, endpoint);
  for (const file of files) writeFileSync(join(workdir, file.name), file.content);
  const { env } = terraformEnv(awsProviderVersion(stack), { ...process.env, ...ADMIN_ENV, AWS_REGION: "" });
  // `terraform init` again only when what it sets up changed: the providers and the backend.
  const initInputs = sha256(
    JSON.stringify([stack.json.terraform, files.find((f) => f.name.includes("backend"))]),
  );
  const initRecord = join(workdir, ".terraform", "lambdaform-init");
  const initialised = existsSync(initRecord) && readFileSync(initRecord, "utf8") === initInputs;
  if (!initialised) {
    if (!existsSync(join(workdir, ".terraform"))) onProgress("terraform init");
    await terraform(["init", "-input=false", "-no-color"], { cwd: workdir, env });
    writeFileSync(initRecord, initInputs);
  }
  const attached = provider ? await provider.env(workdir, awsProviderVersion(stack), env) : {};
  return { workdir, env: { ...env, ...attached }, notices };
}

/**
 * A real `terraform plan` (with refresh) of a synthesized stack against what is deployed locally:
 * changed configurations give real update, replace and delete plans. Returns `terraform show -json`.
 */
export async function planLocally(
  stack: SynthesizedStack,
  workRoot: string,
  endpoint: string,
  provider?: SharedProvider,
): Promise<Record<string, unknown>> {
  const { workdir, env } = await prepareLocal(stack, workRoot, endpoint, () => {}, provider);
  const planFile = join(workdir, "local.tfplan");
  await terraform(["plan", "-input=false", "-no-color", "-lock=false", `-out=${planFile}`], {
    cwd: workdir,
    env,
  });
  return JSON.parse(await terraform(["show", "-json", "-no-color", planFile], { cwd: workdir, env }));
}

/** Whether the stack configures a queue that Terraform's state does not hold yet. */
function queuesToCreate(workdir: string, stack: SynthesizedStack): boolean {
  const configured = Object.keys(
    ((stack.json.resource ?? {}) as Record<string, Record<string, unknown>>).aws_sqs_queue ?? {},
  );
  if (configured.length === 0) return false;
  const file = join(workdir, stateFileName(stack));
  if (!existsSync(file)) return true;
  const state = JSON.parse(readFileSync(file, "utf8")) as {
    resources?: Array<{ mode: string; type: string; name: string }>;
  };
  const held = new Set(
    (state.resources ?? [])
      .filter((r) => r.mode === "managed" && r.type === "aws_sqs_queue")
      .map((r) => r.name),
  );
  return configured.some((id) => !held.has(id));
}

/** The lines `terraform apply -json` prints that this reads. */
type UiMessage = {
  type?: string;
  "@message"?: string;
  "@level"?: string;
  change?: { resource?: { addr?: string }; action?: string };
  changes?: { add?: number; change?: number; remove?: number; import?: number };
  diagnostic?: { severity?: string; summary?: string; detail?: string; address?: string };
};

/** Reads apply's machine-readable output: the planned changes, the totals, and any error said plainly. */
function readApplyOutput(stdout: string): {
  planned: PlannedChange[];
  changes: ApplyResult["changes"];
  errors: string[];
} {
  const planned: PlannedChange[] = [];
  const errors: string[] = [];
  let changes: ApplyResult["changes"] = { add: 0, change: 0, destroy: 0 };
  for (const line of stdout.split("\n")) {
    let message: UiMessage;
    try {
      message = JSON.parse(line) as UiMessage;
    } catch {
      continue;
    }
    if (message.type === "planned_change" && message.change?.resource?.addr)
      planned.push({ address: message.change.resource.addr, action: message.change.action ?? "?" });
    if (message.type === "change_summary" && message.changes)
      changes = {
        add: message.changes.add ?? 0,
        change: message.changes.change ?? 0,
        destroy: message.changes.remove ?? 0,
        ...(message.changes.import ? { imported: message.changes.import } : {}),
      };
    if (message.type === "diagnostic" && message.diagnostic?.severity === "error") {
      const d = message.diagnostic;
      errors.push(`${d.address ? `${d.address}: ` : ""}${d.summary ?? ""}${d.detail ? `: ${d.detail}` : ""}`);
    }
  }
  return { planned, changes, errors };
}

/**
 * `terraform init` + `apply` of a synthesized stack against the local gateway, in
 * `<workRoot>/<stack>`, where the state is kept between runs. When neither the synthesized stack
 * nor the state changed since the last apply here, nothing runs (`skipped`): the state already is
 * what an apply would leave. Any change to either applies for real.
 */
export async function applyLocally(
  stack: SynthesizedStack,
  workRoot: string,
  endpoint: string,
  onProgress: (line: string) => void,
  options: {
    readonly parallelism: number;
    /**
     * Skip the apply when neither the stack, the state nor moto's state id changed since the last
     * one (moto's state was restored whole, and is the history that apply left).
     */
    readonly mayReuse: boolean;
    /** The id of moto's state history now (see `PersistentMoto.stateId`). */
    readonly motoStateId: string;
    /**
     * Read every resource back from moto first (what a plain apply does). A reload applying the
     * user's own edit leaves it out: it costs about 2 s here, and only catches changes made to
     * moto behind Terraform's back.
     */
    readonly refresh: boolean;
    /** A provider kept running across commands (see {@link SharedProvider}). */
    readonly provider?: SharedProvider;
    /** moto, straight: where the functions' code is put before the apply (see apply-shortcuts.ts). */
    readonly moto: MotoClientConfig;
    /** terraform's nice value: an infra edit's apply runs behind what the user is doing. */
    readonly niceness?: number;
  },
): Promise<ApplyResult> {
  const workdir = join(workRoot, stack.name);
  const fingerprint = stackFingerprint(stack);
  const applied = readApplied(workdir);
  if (
    options.mayReuse &&
    applied?.fingerprint === fingerprint &&
    applied.state === stateHash(workdir, stack) &&
    applied.motoStateId === options.motoStateId
  ) {
    return {
      workdir,
      changes: { add: 0, change: 0, destroy: 0 },
      planned: [],
      notices: localOverrideFiles(stack, endpoint).notices,
      skipped: true,
    };
  }
  // Until this apply finishes, what was applied last is not known to be what is deployed.
  rmSync(join(workdir, APPLIED_FILE), { force: true });
  const { env, notices } = await prepareLocal(stack, workRoot, endpoint, onProgress, options.provider);
  await uploadFunctionCode(stack, options.moto);
  const firstApply = !existsSync(join(workdir, stateFileName(stack)));
  if (queuesToCreate(workdir, stack)) {
    // The queues first, as the plan would create them, for Terraform to adopt (apply-shortcuts.ts).
    onProgress("terraform plan (the queues are created first)");
    const planFile = join(workdir, "queues.tfplan");
    await terraform(
      ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", `-out=${planFile}`],
      { cwd: workdir, env },
    );
    const plan = JSON.parse(await terraform(["show", "-json", "-no-color", planFile], { cwd: workdir, env }));
    rmSync(planFile, { force: true });
    const region = String(
      (stack.json.provider as { aws?: Array<{ region?: string }> } | undefined)?.aws?.[0]?.region ?? "",
    );
    const queues = await precreateQueues(stack, plan, { endpoint, region, credentials: ADMIN_CREDENTIALS });
    if (queues.imports) writeFileSync(join(workdir, queues.imports.name), queues.imports.content);
    for (const address of queues.left)
      onProgress(`${address}: its plan is not known whole, so Terraform creates it (and waits about 25 s)`);
  }
  onProgress("terraform apply");
  writeFileSync(join(workdir, APPLYING_FILE), `${JSON.stringify({ firstApply, pid: process.pid })}\n`);
  const result = await runTerraform(
    [
      "apply",
      "-json",
      "-input=false",
      "-auto-approve",
      "-lock=false",
      `-parallelism=${options.parallelism}`,
      `-refresh=${options.refresh}`,
    ],
    { cwd: workdir, env, niceness: options.niceness },
  );
  // It ended (also when it failed): Terraform wrote its state for what it did.
  rmSync(join(workdir, APPLYING_FILE), { force: true });
  rmSync(join(workdir, QUEUE_IMPORTS_FILE), { force: true });
  const output = readApplyOutput(result.stdout);
  if (result.code !== 0) {
    throw new Error(
      `terraform apply failed in ${workdir} (exit ${result.code}):\n${output.errors.join("\n") || result.stderr || result.stdout}`,
    );
  }
  const record: AppliedRecord = {
    fingerprint,
    state: stateHash(workdir, stack),
    motoStateId: options.motoStateId,
  };
  writeFileSync(join(workdir, APPLIED_FILE), `${JSON.stringify(record)}\n`);
  return { workdir, changes: output.changes, planned: output.planned, notices, skipped: false };
}

/**
 * The applied state, read from the state file Terraform keeps in the working directory (format
 * version 4), in the shape `terraform show -json` gives (`values.root_module.resources[].values`).
 * Reading the file takes milliseconds where `terraform show -json` loads the provider's schema
 * (about 3 s here).
 */
export function readState(workdir: string, stack: SynthesizedStack): Record<string, unknown> {
  const file = join(workdir, stateFileName(stack));
  const state = JSON.parse(readFileSync(file, "utf8")) as {
    version?: number;
    resources?: Array<{
      mode: string;
      type: string;
      name: string;
      instances: Array<{ attributes: unknown }>;
    }>;
  };
  if (state.version !== 4)
    throw new Error(`${file}: Terraform state format version ${state.version} is not the one this reads (4)`);
  const resources = (state.resources ?? []).flatMap((r) =>
    r.instances.map((instance) => ({
      mode: r.mode,
      type: r.type,
      name: r.name,
      values: instance.attributes,
    })),
  );
  return { values: { root_module: { resources } } };
}
