import type { SynthesizedStack } from "@lambdaform/infra/terraform";
import { LOCAL_REGION } from "../identity.ts";
import { functionCodeOverride, knownArnOverride } from "./apply-shortcuts.ts";

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

/** The state file of a stack's local deploy, whatever backend the synthesized stack names. */
export const stateFileName = (stack: { readonly name: string }) => `terraform.${stack.name}.tfstate`;

/** A file the local deploy writes beside the copy of the stack (Terraform reads `*_override.tf.json` last). */
export interface OverrideFile {
  readonly name: string;
  readonly content: string;
}

/**
 * Every override of a local deploy: the provider pointed at the gateway, a local backend in the
 * working directory (a stack synthesized with the S3 backend must not reach a real bucket), the
 * policy workaround, and what spares the provider's fixed waits (function code from moto's S3,
 * queue policies a plan knows: see apply-shortcuts.ts); with the notices to print.
 */
export function localOverrideFiles(
  stack: SynthesizedStack,
  endpoint: string,
): { files: OverrideFile[]; notices: string[] } {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const policy = tlsOnlyWorkaround(stack);
  const files: OverrideFile[] = [
    { name: "local_provider_override.tf.json", content: json(localProviderOverride(endpoint)) },
    {
      name: "local_backend_override.tf.json",
      content: json({ terraform: { backend: { local: { path: stateFileName(stack) } } } }),
    },
  ];
  const region = String(
    (stack.json.provider as { aws?: Array<{ region?: string }> } | undefined)?.aws?.[0]?.region ??
      LOCAL_REGION,
  );
  for (const file of [functionCodeOverride(stack), knownArnOverride(stack, region)])
    if (file) files.push(file);
  if (policy.policyDocuments.length > 0)
    files.push({
      name: "local_policy_override.tf.json",
      content: json({
        data: {
          aws_iam_policy_document: Object.fromEntries(
            policy.policyDocuments.map((d) => [d.id, { statement: d.statement }]),
          ),
        },
      }),
    });
  return { files, notices: policy.policyDocuments.map((d) => d.notice) };
}
