// `pnpm run plan` / `pnpm run deploy [-- --auto-approve] [stack…]`: cdktf-cli against real AWS.
// Checks the prerequisites first, so a missing terraform or missing credentials is a clear message.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { TERRAFORM_INSTALL_HINT } from "../terraform/cli.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** True when the AWS SDK / Terraform would find credentials in any of the standard places. */
export function hasAwsCredentials(env: Env): boolean {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return true;
  if (env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE) return true;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return true;
  const home = env.HOME || homedir();
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE,
    env.AWS_CONFIG_FILE,
    join(home, ".aws", "credentials"),
    join(home, ".aws", "config"),
  ];
  return files.some((file) => file !== undefined && existsSync(file));
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
if (command !== "plan" && command !== "deploy")
  fail("usage: real-aws.ts plan|deploy [--auto-approve] [stack…]");
if (spawnSync("terraform", ["version"], { stdio: "ignore" }).error) {
  fail(`terraform is not on PATH: ${TERRAFORM_INSTALL_HINT}`);
}
if (!hasAwsCredentials(process.env)) {
  fail(
    "No AWS credentials found. Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
      "(in GitHub Actions, assume a role through OIDC). To plan without an account, run " +
      "`pnpm --filter @lambdaform/infra plan:offline`.",
  );
}
const autoApprove = rest.includes("--auto-approve");
const stacks = rest.filter((arg) => !arg.startsWith("--"));
if (command === "deploy" && !autoApprove && !process.stdin.isTTY) {
  fail(
    "deploy needs confirmation: run it in a terminal, or pass --auto-approve (CI) after reviewing `pnpm run plan`.",
  );
}
const targets = stacks.length > 0 ? stacks : ["lambdaform-dev", "lambdaform-prod"];
const args = [command, ...targets, ...(command === "deploy" && autoApprove ? ["--auto-approve"] : [])];
console.log(`cdktf ${args.join(" ")}`);
const result = spawnSync("cdktf", args, {
  stdio: "inherit",
  env: { ...process.env, CHECKPOINT_DISABLE: "1" },
});
if (result.error) fail(`could not run cdktf: ${result.error.message}. Run \`pnpm install\` first.`);
process.exit(result.status ?? 1);
