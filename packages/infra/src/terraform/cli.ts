import { type SpawnOptions, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { getPriority, homedir, setPriority, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findProviderMirror, PROVIDER_DIR } from "./mirror.ts";

export const TERRAFORM_INSTALL_HINT =
  "install the terraform CLI (>= 1.10): https://developer.hashicorp.com/terraform/install, or `apt-get install terraform` from HashiCorp's apt repository";

/** The result of one terraform command. */
export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where providers are installed once and shared by every working directory (Terraform's plugin cache). */
export const PLUGIN_CACHE_ENV = "TF_PLUGIN_CACHE_DIR";

/**
 * The shared provider cache: `TF_PLUGIN_CACHE_DIR` when set, else `lambdaform/terraform-plugins` in
 * the user's cache directory (`XDG_CACHE_HOME`, or `~/.cache`).
 */
export function pluginCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const configured = env[PLUGIN_CACHE_ENV];
  if (configured) return configured;
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(cacheHome, "lambdaform", "terraform-plugins");
}

/**
 * Links the mirror's provider into the cache ourselves, atomically (a symlink renamed into place),
 * so concurrent `terraform init`s never race to create the entry: Terraform does not guarantee its
 * cache is safe for that, and tests and turbo run inits side by side. Terraform then links the
 * cache entry into each `.terraform/`, so a new working directory costs a symlink, not a copy of
 * the 700 MB provider binary.
 */
function primeCache(mirror: string, providerVersion: string, cache: string): void {
  const versionDir = join(PROVIDER_DIR, providerVersion);
  for (const platform of readdirSync(join(mirror, versionDir))) {
    const entry = join(cache, versionDir, platform);
    if (existsSync(entry)) continue;
    mkdirSync(dirname(entry), { recursive: true });
    const staging = `${entry}.${process.pid}.${Date.now()}`;
    symlinkSync(join(mirror, versionDir, platform), staging);
    renameSync(staging, entry);
  }
}

// One CLI configuration per mirror and cache, written once per process.
const cliConfigs = new Map<string, string>();

function cliConfigFile(mirror: string | undefined, cache: string | undefined): string {
  const key = `${mirror ?? ""}\u0000${cache ?? ""}`;
  const existing = cliConfigs.get(key);
  if (existing) return existing;
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
  // A working directory without a lock-file checksum for the provider would otherwise install it
  // into the cache again (replacing the primed link), and two such inits at once race on it.
  const cacheLine = cache
    ? `plugin_cache_dir = ${JSON.stringify(cache)}\nplugin_cache_may_break_dependency_lock_file = true\n`
    : "";
  const file = join(mkdtempSync(join(tmpdir(), "lambdaform-tf-")), "terraformrc");
  writeFileSync(file, `${install}${cacheLine}disable_checkpoint = true\n`);
  cliConfigs.set(key, file);
  return file;
}

/**
 * The environment that runs terraform with a CLI configuration installing the AWS provider from a
 * local mirror (when one is found) and everything else from the registry. With a mirror, or when
 * `TF_PLUGIN_CACHE_DIR` is set, providers come through the shared plugin cache ({@link pluginCacheDir}).
 */
export function terraformEnv(
  providerVersion: string,
  base: Readonly<Record<string, string | undefined>> = process.env,
): { env: Record<string, string>; mirror: string | undefined } {
  const mirror = findProviderMirror(providerVersion, base);
  // Without a mirror the cache is used only when asked for: concurrent downloads into it could race.
  const cache = mirror || base[PLUGIN_CACHE_ENV] ? pluginCacheDir(base) : undefined;
  if (mirror && cache) primeCache(mirror, providerVersion, cache);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  // The configuration names the cache; the variable would override it.
  delete env[PLUGIN_CACHE_ENV];
  env.TF_CLI_CONFIG_FILE = cliConfigFile(mirror, cache);
  env.TF_IN_AUTOMATION = "1";
  env.CHECKPOINT_DISABLE = "1";
  return { env, mirror };
}

/**
 * Lowers the priority of a running process, every thread of it (niceness is per thread on Linux),
 * to `niceness`; threads it starts later inherit it. Where that is not allowed, nothing changes.
 */
export function lowerPriority(pid: number, niceness: number): void {
  let threads: number[] = [pid];
  try {
    threads = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    // No /proc (not Linux): the process's priority is the one to set.
  }
  for (const tid of threads) {
    try {
      // Never a raise: a thread already nicer stays as it is.
      if (getPriority(tid) < niceness) setPriority(tid, niceness);
    } catch {
      // Gone, or not allowed.
    }
  }
}

/** How terraform is run: where, with what environment, and how it shares the machine. */
export interface TerraformRunOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Also stream its output (progress on long commands). */
  readonly echo?: boolean;
  /**
   * Its nice value (and its provider's, which it starts): background work, such as `pnpm dev`
   * applying an infra edit while its user goes on, yields the CPU to what they wait for.
   */
  readonly niceness?: number;
}

/** Runs terraform and collects its output; `echo` also streams it (for progress on long commands). */
export function runTerraform(
  args: ReadonlyArray<string>,
  options: TerraformRunOptions,
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    };
    // Through nice(1): niceness is per thread, and terraform's threads start with the process.
    const child = options.niceness
      ? spawn("nice", ["-n", String(options.niceness), "terraform", ...args], spawnOptions)
      : spawn("terraform", [...args], spawnOptions);
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
    child.on("error", (error: NodeJS.ErrnoException) => {
      // No nice(1) here: terraform runs at the usual priority.
      if (error.code === "ENOENT" && options.niceness) {
        resolve(runTerraform(args, { ...options, niceness: undefined }));
        return;
      }
      reject(
        error.code === "ENOENT"
          ? new Error(`terraform was not found on PATH: ${TERRAFORM_INSTALL_HINT}`)
          : error,
      );
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Like {@link runTerraform}, but throws with terraform's own message when it fails. */
export async function terraform(args: ReadonlyArray<string>, options: TerraformRunOptions): Promise<string> {
  const result = await runTerraform(args, options);
  if (result.code !== 0) {
    throw new Error(
      `terraform ${args.join(" ")} failed in ${options.cwd} (exit ${result.code}):\n${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}
