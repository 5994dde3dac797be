import type { PolicyDocument } from "../gateway/iam.ts";
import { arnLocation, functionNameFromArn, LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../identity.ts";

type StateResource = { type: string; name: string; values: Record<string, unknown> };

/** What `terraform apply` created, as the gateway needs it (read from `terraform show -json`). */
export interface Deployed {
  readonly accountId: string;
  readonly region: string;
  /** function name → its role name and that role's inline policies. */
  readonly functions: ReadonlyMap<
    string,
    { readonly arn: string; readonly roleName: string; readonly policies: PolicyDocument[] }
  >;
  readonly apis: ReadonlyArray<DeployedApi>;
  readonly rules: ReadonlyArray<DeployedRule>;
  readonly buckets: ReadonlyArray<string>;
  readonly tables: ReadonlyArray<string>;
  /** The stack's CloudWatch metric alarms, as applied. */
  readonly alarms: ReadonlyArray<DeployedAlarm>;
  /** Every managed resource in the state: its type, its name in the configuration and its id. */
  readonly resources: ReadonlyArray<{ readonly type: string; readonly name: string; readonly id: string }>;
}

/** A metric alarm as Terraform deployed it: what the local evaluator needs of it. */
export interface DeployedAlarm {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Sum`, `Average`, `Minimum`, `Maximum` or `SampleCount`. */
  readonly statistic: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** How many of the evaluated periods must breach (CloudWatch's default: all of them). */
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: string;
  /** `missing` (default), `notBreaching`, `breaching` or `ignore`. */
  readonly treatMissingData: string;
  readonly alarmActions: ReadonlyArray<string>;
  readonly okActions: ReadonlyArray<string>;
}

export interface DeployedRoute {
  readonly resourcePath: string;
  /** The API Gateway resource's id, as events carry it in `requestContext.resourceId`. */
  readonly resourceId: string;
  readonly httpMethod: string;
  /** The Lambda function a proxy integration calls. */
  readonly functionName: string;
  readonly timeoutMs: number;
}

export interface DeployedApi {
  readonly id: string;
  readonly name: string;
  readonly stages: ReadonlyArray<{
    readonly name: string;
    readonly rateLimit?: number;
    readonly burstLimit?: number;
    /** The stage's variables (`stageVariables` in every event), when it has any. */
    readonly variables?: Readonly<Record<string, string>>;
  }>;
  readonly routes: ReadonlyArray<DeployedRoute>;
}

export interface DeployedRule {
  readonly name: string;
  readonly arn: string;
  readonly schedule?: string;
  readonly targets: ReadonlyArray<{ readonly functionName: string }>;
}

function resources(state: Record<string, unknown>): StateResource[] {
  const out: StateResource[] = [];
  const walk = (module: { resources?: StateResource[]; child_modules?: unknown[] } | undefined) => {
    if (!module) return;
    for (const r of module.resources ?? []) if ((r as { mode?: string }).mode !== "data") out.push(r);
    for (const child of (module.child_modules ?? []) as Array<typeof module>) walk(child);
  };
  walk((state.values as { root_module?: { resources?: StateResource[] } } | undefined)?.root_module);
  return out;
}

/** `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations` → function name. */
export function functionOfIntegrationUri(uri: string): string | undefined {
  const match = /\/functions\/(arn:[^/]+)\/invocations$/.exec(uri);
  return match?.[1] ? functionNameFromArn(match[1]) : undefined;
}

/** Builds the model of the deployed system from Terraform's state. */
export function readDeployed(state: Record<string, unknown>): Deployed {
  const all = resources(state);
  const byType = (type: string) => all.filter((r) => r.type === type).map((r) => r.values);
  const roles = new Map(byType("aws_iam_role").map((r) => [String(r.arn), String(r.name)]));
  const policiesByRole = new Map<string, PolicyDocument[]>();
  for (const p of byType("aws_iam_role_policy")) {
    const list = policiesByRole.get(String(p.role)) ?? [];
    list.push(JSON.parse(String(p.policy)) as PolicyDocument);
    policiesByRole.set(String(p.role), list);
  }
  const functions = new Map(
    byType("aws_lambda_function").map((f) => {
      const roleName = roles.get(String(f.role)) ?? String(f.role).split("/").at(-1) ?? "";
      return [
        String(f.function_name),
        { arn: String(f.arn), roleName, policies: policiesByRole.get(roleName) ?? [] },
      ];
    }),
  );
  const { region, accountId } = arnLocation(String(byType("aws_lambda_function")[0]?.arn ?? "")) ?? {
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
  };

  const apiResources = byType("aws_api_gateway_resource");
  const integrations = byType("aws_api_gateway_integration");
  const settings = byType("aws_api_gateway_method_settings");
  const apis: DeployedApi[] = byType("aws_api_gateway_rest_api").map((api) => {
    const id = String(api.id);
    const pathOf = (resourceId: string) =>
      resourceId === api.root_resource_id
        ? "/"
        : String(apiResources.find((r) => r.id === resourceId)?.path ?? "");
    const routes = integrations
      .filter((i) => i.rest_api_id === id && i.type === "AWS_PROXY")
      .flatMap((i) => {
        const functionName = functionOfIntegrationUri(String(i.uri));
        return functionName
          ? [
              {
                resourcePath: pathOf(String(i.resource_id)),
                resourceId: String(i.resource_id),
                httpMethod: String(i.http_method),
                functionName,
                timeoutMs: Number(i.timeout_milliseconds ?? 29000),
              },
            ]
          : [];
      });
    const stages = byType("aws_api_gateway_stage")
      .filter((s) => s.rest_api_id === id)
      .map((s) => {
        const throttle = settings.find((m) => m.rest_api_id === id && m.stage_name === s.stage_name)
          ?.settings as
          | Array<{ throttling_rate_limit?: number; throttling_burst_limit?: number }>
          | undefined;
        const variables =
          typeof s.variables === "object" && s.variables !== null
            ? Object.fromEntries(Object.entries(s.variables).map(([k, v]) => [k, String(v)]))
            : {};
        return {
          name: String(s.stage_name),
          rateLimit: throttle?.[0]?.throttling_rate_limit,
          burstLimit: throttle?.[0]?.throttling_burst_limit,
          ...(Object.keys(variables).length > 0 ? { variables } : {}),
        };
      });
    return { id, name: String(api.name), stages, routes };
  });

  const targets = byType("aws_cloudwatch_event_target");
  const rules: DeployedRule[] = byType("aws_cloudwatch_event_rule").map((rule) => ({
    name: String(rule.name),
    arn: String(rule.arn),
    schedule: rule.schedule_expression ? String(rule.schedule_expression) : undefined,
    targets: targets
      .filter((t) => t.rule === rule.name && String(t.arn).includes(":function:"))
      .map((t) => ({ functionName: functionNameFromArn(String(t.arn)) })),
  }));

  return {
    accountId,
    region,
    functions,
    apis,
    rules,
    buckets: byType("aws_s3_bucket").map((b) => String(b.bucket)),
    tables: byType("aws_dynamodb_table").map((t) => String(t.name)),
    alarms: byType("aws_cloudwatch_metric_alarm")
      // Metric-math and extended-statistic alarms are left to AWS: the evaluator reads plain statistics.
      .filter((a) => typeof a.metric_name === "string" && a.metric_name !== "" && a.statistic)
      .map((a) => {
        const evaluationPeriods = Number(a.evaluation_periods ?? 1);
        const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
        return {
          name: String(a.alarm_name),
          namespace: String(a.namespace),
          metricName: String(a.metric_name),
          dimensions: Object.fromEntries(
            Object.entries((a.dimensions as Record<string, unknown> | null) ?? {}).map(([k, v]) => [
              k,
              String(v),
            ]),
          ),
          statistic: String(a.statistic),
          periodSeconds: Number(a.period ?? 60),
          evaluationPeriods,
          datapointsToAlarm: Number(a.datapoints_to_alarm || evaluationPeriods),
          threshold: Number(a.threshold ?? 0),
          comparison: String(a.comparison_operator),
          treatMissingData: String(a.treat_missing_data || "missing"),
          alarmActions: strings(a.alarm_actions),
          okActions: strings(a.ok_actions),
        };
      }),
    resources: all.map((r) => ({
      type: r.type,
      name: r.name,
      id: String(r.values.arn ?? r.values.id ?? ""),
    })),
  };
}
