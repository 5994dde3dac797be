import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Points at a local provider mirror (a directory holding `registry.terraform.io/hashicorp/aws/<version>/`). */
export const MIRROR_ENV = "LAMBDAFORM_TF_PLUGIN_MIRROR";

/** Where a mirror (or the plugin cache) keeps the AWS provider: `<dir>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>`. */
export const PROVIDER_DIR = join("registry.terraform.io", "hashicorp", "aws");

function holdsProvider(dir: string, version: string): boolean {
  return existsSync(join(dir, PROVIDER_DIR, version));
}

/** Terraform's own implied local mirror directories, then `/opt/<dir>` one level deep. */
function candidateDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const home = env.HOME || homedir();
  const dataHome = env.XDG_DATA_HOME || join(home, ".local", "share");
  const dirs = [
    join(home, ".terraform.d", "plugins"),
    join(dataHome, "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ];
  try {
    for (const entry of readdirSync("/opt", { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(join("/opt", entry.name));
    }
  } catch {
    // no /opt
  }
  return dirs;
}

/**
 * Finds a filesystem mirror of the AWS provider at `version`: `LAMBDAFORM_TF_PLUGIN_MIRROR` when set
 * (an error if it lacks the provider), else the first well-known plugin directory that holds it.
 * Returns undefined when there is none, and Terraform then installs from the registry.
 */
export function findProviderMirror(
  version: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const configured = env[MIRROR_ENV];
  if (configured) {
    if (!holdsProvider(configured, version)) {
      throw new Error(
        `${MIRROR_ENV}=${configured} holds no ${join(PROVIDER_DIR, version)}; point it at a Terraform provider mirror.`,
      );
    }
    return configured;
  }
  return candidateDirs(env).find((dir) => holdsProvider(dir, version));
}
