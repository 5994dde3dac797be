import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runTerraform, terraform, terraformEnv } from "./cli.ts";

/** A synthesized stack on disk. */
export interface SynthesizedStack {
  readonly name: string;
  /** `cdktf.out/stacks/<name>`: the shipped synth output, never modified here. */
  readonly dir: string;
  readonly json: Record<string, unknown>;
}

export function listStacks(outdir = "cdktf.out"): SynthesizedStack[] {
  const stacksDir = resolve(outdir, "stacks");
  if (!existsSync(stacksDir)) {
    throw new Error(`No synthesized stacks in ${stacksDir}. Run \`pnpm synth\` first.`);
  }
  return readdirSync(stacksDir)
    .sort()
    .map((name) => {
      const dir = join(stacksDir, name);
      return { name, dir, json: JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) };
    });
}

/** The AWS provider version a stack pins (so the mirror lookup matches what init will ask for). */
export function awsProviderVersion(stack: SynthesizedStack): string {
  const terraformBlock = stack.json.terraform as { required_providers?: { aws?: { version?: string } } };
  const version = terraformBlock.required_providers?.aws?.version;
  if (!version) throw new Error(`${stack.name}: cdk.tf.json pins no AWS provider version`);
  return version;
}

/** Fake credentials and the provider's skip flags: what lets `terraform plan` run without an account. */
export const OFFLINE_PROVIDER_OVERRIDE = {
  provider: {
    aws: [
      {
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
      },
    ],
  },
};

export const OFFLINE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "offline-plan",
  AWS_SECRET_ACCESS_KEY: "offline-plan",
  AWS_SESSION_TOKEN: "",
  AWS_PROFILE: "",
} as const;

/** What survives a fresh copy of the stack: providers, the lock file and the state. */
const KEEP = /^(\.terraform|\.terraform\.lock\.hcl|.*\.tfstate(\.backup)?)$/;

/**
 * Copies a stack into a working directory of its own (`<workRoot>/<stack>`), so terraform's
 * `.terraform/`, lock file, state and any override never touch the shipped synth output.
 * Providers, the lock file and any local state are kept between runs.
 */
export function prepareWorkdir(stack: SynthesizedStack, workRoot: string): string {
  const workdir = resolve(workRoot, stack.name);
  mkdirSync(workdir, { recursive: true });
  for (const entry of readdirSync(workdir)) {
    if (KEEP.test(entry)) continue;
    rmSync(join(workdir, entry), { recursive: true, force: true });
  }
  cpSync(stack.dir, workdir, { recursive: true });
  return workdir;
}

export interface StackCheck {
  readonly stack: string;
  readonly workdir: string;
  readonly mirror: string | undefined;
}

/** `terraform init` (from the mirror when found) in a stack's working directory. */
export async function initStack(
  stack: SynthesizedStack,
  workRoot: string,
  options: { readonly backend: boolean; readonly env?: Readonly<Record<string, string | undefined>> },
): Promise<StackCheck & { readonly env: Record<string, string> }> {
  const workdir = prepareWorkdir(stack, workRoot);
  const { env, mirror } = terraformEnv(awsProviderVersion(stack), options.env);
  await terraform(["init", "-input=false", "-no-color", `-backend=${options.backend}`], {
    cwd: workdir,
    env,
  });
  return { stack: stack.name, workdir, mirror, env };
}

/** `terraform validate` of one stack; returns terraform's JSON diagnostics. */
export async function validateStack(stack: SynthesizedStack, workRoot: string) {
  const init = await initStack(stack, workRoot, { backend: false });
  const result = await runTerraform(["validate", "-json", "-no-color"], { cwd: init.workdir, env: init.env });
  const report = JSON.parse(result.stdout) as {
    valid: boolean;
    error_count: number;
    warning_count: number;
    diagnostics: Array<{ severity: string; summary: string; detail?: string }>;
  };
  return { ...init, report };
}

/**
 * A real `terraform plan` with no AWS account: fake credentials, the provider's skip flags (in an
 * override file in the working copy) and `-refresh=false`. Writes `plan.tfplan` and `plan.json`
 * (`terraform show -json`) in the working directory.
 */
export async function planOffline(stack: SynthesizedStack, workRoot: string) {
  const init = await initStack(stack, workRoot, {
    backend: true,
    env: { ...process.env, ...OFFLINE_CREDENTIALS },
  });
  writeFileSync(
    join(init.workdir, "offline_override.tf.json"),
    `${JSON.stringify(OFFLINE_PROVIDER_OVERRIDE, null, 2)}\n`,
  );
  const planFile = join(init.workdir, "plan.tfplan");
  await terraform(
    ["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", `-out=${planFile}`],
    {
      cwd: init.workdir,
      env: init.env,
    },
  );
  const json = await terraform(["show", "-json", "-no-color", planFile], {
    cwd: init.workdir,
    env: init.env,
  });
  const jsonFile = join(init.workdir, "plan.json");
  writeFileSync(jsonFile, json);
  return { ...init, planFile, jsonFile, plan: JSON.parse(json) as Record<string, unknown> };
}
