import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  awsProviderVersion,
  prepareWorkdir,
  type SynthesizedStack,
  terraform,
  terraformEnv,
} from "@lambdaform/infra";
import { ADMIN_ENV } from "../identity.ts";

/** The services the stack uses, as the AWS provider names their endpoint settings. */
const SERVICES = [
  "apigateway",
  "cloudwatch",
  "cloudwatchevents",
  "cloudwatchlogs",
  "dynamodb",
  "ec2",
  "iam",
  "lambda",
  "s3",
  "sns",
  "sqs",
  "sts",
] as const;

/**
 * The provider override that points Terraform at the local gateway: every endpoint, path-style S3,
 * and the skip flags that stop it from calling real AWS. Written beside a copy of the stack; the
 * synthesized stack itself is never edited.
 */
export function localProviderOverride(endpoint: string) {
  return {
    provider: {
      aws: [
        {
          endpoints: [Object.fromEntries(SERVICES.map((service) => [service, endpoint]))],
          s3_use_path_style: true,
          skip_credentials_validation: true,
          skip_metadata_api_check: true,
          skip_region_validation: true,
          skip_requesting_account_id: true,
        },
      ],
    },
  };
}

export interface LocalOverrides {
  /** Data-source ids whose statements are replaced locally, with the reason printed to the user. */
  readonly policyDocuments: ReadonlyArray<{
    readonly id: string;
    readonly notice: string;
    readonly statement: unknown;
  }>;
}

/**
 * moto's bucket-policy check ignores `Condition`, so the TLS-only Deny statement would deny every
 * object call. Locally that one document is replaced by a harmless Deny of an action this system
 * never uses; the policy that ships is unchanged.
 */
export function tlsOnlyWorkaround(stack: SynthesizedStack): LocalOverrides {
  const documents =
    (
      stack.json.data as Record<
        string,
        Record<string, { statement?: Array<{ sid?: string; resources?: string[] }> }>
      >
    )?.aws_iam_policy_document ?? {};
  const policyDocuments = Object.entries(documents).flatMap(([id, doc]) => {
    const deny = doc.statement?.find((s) => s.sid === "DenyInsecureTransport");
    if (!deny) return [];
    return [
      {
        id,
        notice:
          "moto ignores Condition in bucket policies, so the TLS-only statement DenyInsecureTransport would deny every " +
          "object call; it is left out of this local deploy only (the shipped policy is unchanged).",
        statement: [
          {
            sid: "LocalPlaceholderForDenyInsecureTransport",
            effect: "Deny",
            actions: ["s3:PutBucketWebsite"],
            resources: deny.resources ?? [],
            principals: [{ type: "*", identifiers: ["*"] }],
          },
        ],
      },
    ];
  });
  return { policyDocuments };
}

// Persistent local stacks apply one resource at a time: moto then sees requests in the order they
// are recorded, so replaying the recording after a restart recreates the very same ids.

export interface ApplyResult {
  readonly workdir: string;
  /** Resources Terraform added, changed and destroyed ("Apply complete! Resources: …"). */
  readonly changes: { readonly add: number; readonly change: number; readonly destroy: number };
  readonly notices: ReadonlyArray<string>;
}

/** A working copy of the stack with the local overrides, initialised. */
async function prepareLocal(
  stack: SynthesizedStack,
  workRoot: string,
  endpoint: string,
  onProgress: (line: string) => void,
) {
  const workdir = prepareWorkdir(stack, workRoot);
  const overrides = tlsOnlyWorkaround(stack);
  writeFileSync(
    join(workdir, "local_provider_override.tf.json"),
    `${JSON.stringify(localProviderOverride(endpoint), null, 2)}\n`,
  );
  if (overrides.policyDocuments.length > 0) {
    const data = {
      data: {
        aws_iam_policy_document: Object.fromEntries(
          overrides.policyDocuments.map((d) => [d.id, { statement: d.statement }]),
        ),
      },
    };
    writeFileSync(join(workdir, "local_policy_override.tf.json"), `${JSON.stringify(data, null, 2)}\n`);
  }
  const { env } = terraformEnv(awsProviderVersion(stack), {
    ...process.env,
    ...ADMIN_ENV,
    AWS_REGION: "",
  });
  if (!existsSync(join(workdir, ".terraform"))) onProgress("terraform init");
  await terraform(["init", "-input=false", "-no-color"], { cwd: workdir, env });
  return { workdir, env, overrides };
}

/**
 * A real `terraform plan` (with refresh) of a synthesized stack against what is deployed locally:
 * changed configurations give real update, replace and delete plans. Returns `terraform show -json`.
 */
export async function planLocally(
  stack: SynthesizedStack,
  workRoot: string,
  endpoint: string,
): Promise<Record<string, unknown>> {
  const { workdir, env } = await prepareLocal(stack, workRoot, endpoint, () => {});
  const planFile = join(workdir, "local.tfplan");
  await terraform(["plan", "-input=false", "-no-color", "-lock=false", `-out=${planFile}`], {
    cwd: workdir,
    env,
  });
  return JSON.parse(await terraform(["show", "-json", "-no-color", planFile], { cwd: workdir, env }));
}

/**
 * `terraform init` + `apply` of a synthesized stack against the local gateway, in
 * `<workRoot>/<stack>`, where the state is kept between runs.
 */
export async function applyLocally(
  stack: SynthesizedStack,
  workRoot: string,
  endpoint: string,
  onProgress: (line: string) => void,
  options: { readonly parallelism: number } = { parallelism: 1 },
): Promise<ApplyResult> {
  const { workdir, env, overrides } = await prepareLocal(stack, workRoot, endpoint, onProgress);
  onProgress("terraform apply");
  const output = await terraform(
    [
      "apply",
      "-input=false",
      "-no-color",
      "-auto-approve",
      "-lock=false",
      `-parallelism=${options.parallelism}`,
    ],
    {
      cwd: workdir,
      env,
    },
  );
  const match = /Resources: (\d+) added, (\d+) changed, (\d+) destroyed/.exec(output);
  const changes = match
    ? { add: Number(match[1]), change: Number(match[2]), destroy: Number(match[3]) }
    : { add: 0, change: 0, destroy: 0 };
  return { workdir, changes, notices: overrides.policyDocuments.map((d) => d.notice) };
}

/** `terraform show -json` of the applied state. */
export async function readState(workdir: string, providerVersion: string): Promise<Record<string, unknown>> {
  const { env } = terraformEnv(providerVersion, { ...process.env, ...ADMIN_ENV });
  return JSON.parse(await terraform(["show", "-json", "-no-color"], { cwd: workdir, env }));
}
