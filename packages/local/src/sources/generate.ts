import { LOCAL_REGION } from "../identity.ts";
import { UnknownNameError } from "../names.ts";
import type { StackSpec } from "../stack/read-stack.ts";
import { type ApiGatewayOptions, apiGatewayProxyEvent, curlHeaders } from "./api-gateway/event.ts";
import { newVersionId } from "./ids.ts";
import { type S3PutOptions, s3PutEvent } from "./s3/event.ts";
import { type ScheduledOptions, scheduledEvent } from "./schedule/event.ts";

/** The event types `pnpm event` and `pnpm invoke --type` know, with their aliases. */
export const EVENT_TYPES = {
  apigw: ["api", "apigateway", "apigateway-aws-proxy"],
  s3: ["s3-put"],
  schedule: ["scheduled", "eventbridge", "cloudwatch-scheduled-event"],
} as const;
export type EventType = keyof typeof EVENT_TYPES;

/** The event types with their aliases, as usage text and errors list them. */
export const EVENT_TYPE_CHOICES = Object.entries(EVENT_TYPES).map(
  ([type, aliases]) => `${type} (${aliases.join(", ")})`,
);

/** Resolves a type name or alias, or throws an {@link UnknownNameError} listing the valid ones. */
export function eventType(name: string): EventType {
  for (const [type, aliases] of Object.entries(EVENT_TYPES)) {
    if (type === name || (aliases as readonly string[]).includes(name)) return type as EventType;
  }
  throw new UnknownNameError("event type", name, EVENT_TYPE_CHOICES, { label: "Valid types" });
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Defaults taken from a synthesized stack, so generated events match what is deployed. */
export function stackDefaults(stack: StackSpec | undefined, accountId: string) {
  const resources = (stack?.json.resource ?? {}) as Resources;
  const first = (type: string) => Object.values(resources[type] ?? {})[0];
  const region = stack?.region ?? LOCAL_REGION;
  const bucketPrefix = String(first("aws_s3_bucket")?.bucket_prefix ?? "lambdaform-uploads-");
  const versioning = first("aws_s3_bucket_versioning")?.versioning_configuration as
    | { status?: string }
    | undefined;
  const rule = first("aws_cloudwatch_event_rule");
  const apiStage = first("aws_api_gateway_stage");
  const apiResource = first("aws_api_gateway_resource");
  return {
    region,
    bucket: `${bucketPrefix}local`,
    versioned: versioning?.status === "Enabled",
    ruleArn: `arn:aws:events:${region}:${accountId}:rule/${String(rule?.name ?? "EC2MonitoringSchedule")}`,
    apiStage: String(apiStage?.stage_name ?? "prod"),
    apiPath: `/${String(apiResource?.path_part ?? "hello")}`,
  };
}

export interface GenerateOptions {
  readonly s3?: Partial<S3PutOptions>;
  readonly apigw?: ApiGatewayOptions & { readonly noHeaders?: boolean };
  readonly schedule?: ScheduledOptions;
}

/** Generates a sample event of a type, with defaults from the stack when there is one. */
export function generateEvent(
  type: EventType,
  stack: StackSpec | undefined,
  accountId: string,
  options: GenerateOptions = {},
) {
  const defaults = stackDefaults(stack, accountId);
  switch (type) {
    case "s3":
      return s3PutEvent({
        bucket: defaults.bucket,
        key: "uploads/test-file.txt",
        size: 14,
        region: defaults.region,
        versionId: defaults.versioned ? newVersionId() : undefined,
        ...options.s3,
      });
    case "apigw": {
      const { noHeaders, ...apigw } = options.apigw ?? {};
      const apiId = apigw.apiId ?? "a1b2c3d4e5";
      const sourceIp = apigw.sourceIp ?? "127.0.0.1";
      const host = `${apiId}.execute-api.${defaults.region}.amazonaws.com`;
      return apiGatewayProxyEvent({
        path: defaults.apiPath,
        stage: defaults.apiStage,
        region: defaults.region,
        accountId,
        ...apigw,
        headers: noHeaders ? undefined : { ...curlHeaders(host, sourceIp), ...apigw.headers },
      });
    }
    case "schedule":
      return scheduledEvent({
        ruleArn: defaults.ruleArn,
        region: defaults.region,
        account: accountId,
        ...options.schedule,
      });
  }
}
