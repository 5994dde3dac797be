import { createHash } from "node:crypto";

/**
 * Who is who on the local stack: the account and region, the admin credentials, and the
 * credentials each function uses as if it had assumed its role. Every other module asks here.
 */

/** The account id used locally (moto's default, and the one the event generators use). */
export const LOCAL_ACCOUNT_ID = "123456789012";

/** The region used when neither the stack nor the request names one. */
export const LOCAL_REGION = "us-east-1";

/** Static credentials, as the SDK takes them. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Credentials of the account's admin: Terraform, the seeding step, the log shipper and the user's
 * CLI. The gateway treats any credentials that are not a function's as the admin.
 */
export const ADMIN_CREDENTIALS: Credentials = {
  accessKeyId: "lambdaform-admin",
  secretAccessKey: "lambdaform-admin",
};

/** The same, as environment variables (for terraform and other child processes). */
export const ADMIN_ENV = {
  AWS_ACCESS_KEY_ID: ADMIN_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: ADMIN_CREDENTIALS.secretAccessKey,
} as const;

const FUNCTION_KEY_PREFIX = "ASIALF";
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * Credentials a function uses locally, as if it had assumed its role. The access key id is derived
 * from the whole function name (a SHA-256, base32, 20 characters like AWS's own keys), so two
 * functions never share a key because their names share a prefix.
 *
 * @example
 * functionCredentials("lambdaform-dev-s3-processor").accessKeyId // "ASIALF…" (20 characters)
 */
export function functionCredentials(functionName: string): Credentials {
  const digest = createHash("sha256").update(functionName).digest();
  let key = FUNCTION_KEY_PREFIX;
  for (let i = 0; key.length < 20; i++) key += BASE32[(digest[i] ?? 0) % 32];
  return { accessKeyId: key, secretAccessKey: "lambdaform-local" };
}

/**
 * Maps each function's access key id to the function, refusing two functions with one key: the
 * gateway could not tell them apart, and one would act with the other's permissions.
 */
export function functionKeys<T>(functions: ReadonlyMap<string, T>): Map<string, { name: string; value: T }> {
  const keys = new Map<string, { name: string; value: T }>();
  for (const [name, value] of functions) {
    const { accessKeyId } = functionCredentials(name);
    const taken = keys.get(accessKeyId);
    if (taken)
      throw new Error(
        `functions ${taken.name} and ${name} would get the same local access key ${accessKeyId}; rename one of them`,
      );
    keys.set(accessKeyId, { name, value });
  }
  return keys;
}

/**
 * The function name in a Lambda function ARN, qualified or not
 * (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
 *
 * @throws when the ARN is not a Lambda function ARN.
 */
export function functionNameFromArn(arn: string): string {
  const parts = arn.split(":");
  if (parts.length < 7 || parts[0] !== "arn" || parts[2] !== "lambda" || parts[5] !== "function" || !parts[6])
    throw new Error(`not a Lambda function ARN: "${arn}"`);
  return parts[6];
}

/** The region and account of an ARN (`arn:<partition>:<service>:<region>:<account>:…`). */
export function arnLocation(arn: string): { region: string; accountId: string } | undefined {
  const [prefix, , , region, accountId] = arn.split(":");
  return prefix === "arn" && region && accountId ? { region, accountId } : undefined;
}

/** The session ARN a function's calls are made as: its role, assumed with the function's name. */
export function assumedRoleArn(accountId: string, roleName: string, functionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${functionName}`;
}
