import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { lowerPriority } from "@lambdaform/infra/terraform";

/** How long the provider may take to say where it listens. */
const START_TIMEOUT_MS = 30_000;

/**
 * The AWS provider kept running for a whole `pnpm dev`, which every terraform command of the
 * session attaches to (`TF_REATTACH_PROVIDERS`, Terraform's documented way to run against a
 * provider it did not start). Terraform otherwise starts the 700 MB provider afresh for the plan
 * and again for the apply of every command: about 4 s of each infra reload here. Its credentials
 * and region come from its own environment, so it is started with the deploy's.
 */
export class ProviderProcess {
  private child?: ChildProcess;
  private reattach?: Promise<string>;

  constructor(
    private readonly binary: string,
    private readonly env: Readonly<Record<string, string>>,
    /** The working directory: relative paths in the configuration (function zips) resolve from it. */
    private readonly cwd: string,
  ) {}

  /** The provider binary a `terraform init` installed in a working directory, if any. */
  static installedIn(workdir: string, version: string): string | undefined {
    const dir = join(
      workdir,
      ".terraform",
      "providers",
      "registry.terraform.io",
      "hashicorp",
      "aws",
      version,
    );
    if (!existsSync(dir)) return undefined;
    for (const platform of readdirSync(dir)) {
      const binary = readdirSync(join(dir, platform)).find((f) => f.startsWith("terraform-provider-aws"));
      if (binary) return join(dir, platform, binary);
    }
    return undefined;
  }

  /** The variables that make terraform use this provider (it is started, or started again, first). */
  async terraformEnv(): Promise<Record<string, string>> {
    if (!this.reattach || this.child?.exitCode !== null || this.child?.signalCode !== null)
      this.reattach = this.start();
    const reattach = await this.reattach;
    if (this.niceness !== undefined) ProviderProcess.lower(reattach, this.niceness);
    return { TF_REATTACH_PROVIDERS: reattach };
  }

  /** The nice value it runs at from now on (see SharedProvider.background). */
  niceness?: number;

  /** Lowers the priority of the provider that `TF_REATTACH_PROVIDERS` names (its `Pid`). */
  private static lower(reattach: string, niceness: number): void {
    try {
      for (const provider of Object.values(JSON.parse(reattach) as Record<string, { Pid?: number }>))
        if (typeof provider.Pid === "number") lowerPriority(provider.Pid, niceness);
    } catch {
      // Not the JSON expected: it runs at the usual priority.
    }
  }

  stop(): void {
    // Closing its stdin is what stops it (see start()).
    this.child?.stdin?.end();
    this.child = undefined;
    this.reattach = undefined;
  }

  private start(): Promise<string> {
    // The provider in debug mode outlives a parent that was killed. A shell runs it with a watcher
    // that kills it once this process's end of a pipe closes: on stop(), and however this process
    // ends (SIGKILL included). The shell exits when the provider does.
    const child = spawn(
      "/bin/sh",
      // (fd 3: an asynchronous list's stdin is /dev/null in a shell without job control.)
      [
        "-c",
        'exec 3<&0; "$0" -debug </dev/null & p=$!; { read _ <&3; kill "$p" 2>/dev/null; } & wait "$p"',
        this.binary,
      ],
      { cwd: this.cwd, env: this.env, stdio: ["pipe", "pipe", "pipe"] },
    );
    this.child = child;
    return new Promise((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => {
        child.stdin?.end();
        reject(
          new Error(
            `the AWS provider did not start in ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-2000)}`,
          ),
        );
      }, START_TIMEOUT_MS);
      const read = (chunk: Buffer) => {
        if (output.length < 100_000) output += chunk;
        const match = /TF_REATTACH_PROVIDERS='([^']+)'/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      // Drained for as long as it runs: an unread pipe would stall it.
      child.stdout?.on("data", read);
      child.stderr?.on("data", read);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the AWS provider exited (${code}) before it listened:\n${output.slice(-2000)}`));
      });
    });
  }
}

/**
 * One provider process for a `pnpm dev` session (whose terraform commands all run in one working
 * directory), started on first use from the binary the first `terraform init` installed.
 */
export class SharedProvider {
  private process?: ProviderProcess;
  private niceness?: number;

  /** The variables that attach terraform to the session's provider; none when it is not installed. */
  async env(
    workdir: string,
    version: string,
    base: Readonly<Record<string, string>>,
  ): Promise<Record<string, string>> {
    if (!this.process) {
      const binary = ProviderProcess.installedIn(workdir, version);
      if (!binary) return {};
      // It only ever talks to the loopback gateway, over plain HTTP; a custom CA bundle cannot be
      // applied to the HTTP client of a provider run in this mode, and is not needed.
      const { AWS_CA_BUNDLE: _, ...env } = base;
      this.process = new ProviderProcess(binary, env, workdir);
      if (this.niceness !== undefined) this.process.niceness = this.niceness;
    }
    return this.process.terraformEnv();
  }

  /**
   * From now on the provider runs at nice `niceness`, as the terraform commands of a background
   * apply do (pnpm dev applying an infra edit while its user goes on with the API and their saves).
   * For the rest of the session: a process may not raise its priority back without privileges.
   */
  background(niceness: number): void {
    this.niceness = niceness;
    if (this.process) this.process.niceness = niceness;
  }

  stop(): void {
    this.process?.stop();
  }
}
