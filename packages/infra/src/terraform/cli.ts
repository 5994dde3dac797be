import { type SpawnOptions, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProviderMirror } from "./mirror.ts";

export const TERRAFORM_INSTALL_HINT =
  "install the terraform CLI (>= 1.10): https://developer.hashicorp.com/terraform/install, or `apt-get install terraform` from HashiCorp's apt repository";

/** The result of one terraform command. */
export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Writes a Terraform CLI configuration that installs the AWS provider from a local mirror (when one
 * is found) and everything else from the registry, and returns the environment that uses it.
 */
export function terraformEnv(
  providerVersion: string,
  base: Readonly<Record<string, string | undefined>> = process.env,
): { env: Record<string, string>; mirror: string | undefined } {
  const mirror = findProviderMirror(providerVersion, base);
  const dir = mkdtempSync(join(tmpdir(), "lambdaform-tf-"));
  const configFile = join(dir, "terraformrc");
  const install = mirror
    ? `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`
    : "";
  writeFileSync(configFile, `${install}disable_checkpoint = true\n`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  env.TF_CLI_CONFIG_FILE = configFile;
  env.TF_IN_AUTOMATION = "1";
  env.CHECKPOINT_DISABLE = "1";
  return { env, mirror };
}

/** Runs terraform and collects its output; `echo` also streams it (for progress on long commands). */
export function runTerraform(
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env: Record<string, string>; readonly echo?: boolean },
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    };
    const child = spawn("terraform", [...args], spawnOptions);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error(`terraform was not found on PATH: ${TERRAFORM_INSTALL_HINT}`)
          : error,
      ),
    );
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Like {@link runTerraform}, but throws with terraform's own message when it fails. */
export async function terraform(
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env: Record<string, string>; readonly echo?: boolean },
): Promise<string> {
  const result = await runTerraform(args, options);
  if (result.code !== 0) {
    throw new Error(
      `terraform ${args.join(" ")} failed in ${options.cwd} (exit ${result.code}):\n${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}
