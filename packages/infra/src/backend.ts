import { LocalBackend, S3Backend, type TerraformStack } from "./cdktf.ts";

/** Where a stack keeps its Terraform state. */
export type BackendConfig =
  | { readonly kind: "local" }
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly region: string;
      readonly keyPrefix: string;
      /** Optional DynamoDB lock table, for teams still on it; S3's own lock file is always used. */
      readonly lockTable?: string;
    };

export const BACKEND_ENV = {
  bucket: "LAMBDAFORM_STATE_BUCKET",
  region: "LAMBDAFORM_STATE_REGION",
  keyPrefix: "LAMBDAFORM_STATE_KEY_PREFIX",
  lockTable: "LAMBDAFORM_STATE_LOCK_TABLE",
} as const;

/**
 * Chooses the backend from the environment: the S3 backend when `LAMBDAFORM_STATE_BUCKET` is set,
 * the local backend otherwise (so synth and offline plans need no account).
 */
export function backendFromEnv(env: Readonly<Record<string, string | undefined>>): BackendConfig {
  const bucket = env[BACKEND_ENV.bucket];
  if (!bucket) return { kind: "local" };
  const region = env[BACKEND_ENV.region];
  if (!region) {
    throw new Error(
      `${BACKEND_ENV.region} is missing: set it to the region of ${BACKEND_ENV.bucket} (${bucket}).`,
    );
  }
  return {
    kind: "s3",
    bucket,
    region,
    keyPrefix: env[BACKEND_ENV.keyPrefix] || "lambdaform",
    lockTable: env[BACKEND_ENV.lockTable] || undefined,
  };
}

/** Applies a backend to a stack. The local state path is relative, so synth output has no machine path. */
export function applyBackend(stack: TerraformStack, stackName: string, config: BackendConfig): void {
  if (config.kind === "local") {
    new LocalBackend(stack, { path: `terraform.${stackName}.tfstate` });
    return;
  }
  new S3Backend(stack, {
    bucket: config.bucket,
    key: `${config.keyPrefix}/${stackName}.tfstate`,
    region: config.region,
    encrypt: true,
    dynamodbTable: config.lockTable,
  });
  // State locking with S3's own lock file (Terraform ≥ 1.10); cdktf 0.21 has no typed option for it.
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
}
