/**
 * The baseline's rules for running the stack: X-Ray tracing, log retention and access logs, and
 * API Gateway throttling.
 */
import { type Rule, rule } from "./rule.ts";
import { block, isObject, isPositive, reference, shown, target } from "./stack-json.ts";

/** The operations rules, in the order the review lists them. */
export const OPERATIONS_RULES: ReadonlyArray<Rule> = [
  rule("CKV_AWS_50", "Lambda functions are traced with X-Ray", (stack, found) => {
    for (const fn of stack.all("aws_lambda_function")) {
      const mode = block(fn.body.tracing_config)?.mode;
      if (mode !== "Active") found.add(fn.address, `X-Ray tracing mode is ${shown(mode)}, not "Active"`);
    }
  }),

  rule("CKV_AWS_73", "API Gateway stages are traced with X-Ray", (stack, found) => {
    for (const stage of stack.all("aws_api_gateway_stage")) {
      if (stage.body.xray_tracing_enabled !== true) {
        found.add(stage.address, `xray_tracing_enabled is ${shown(stage.body.xray_tracing_enabled)}`);
      }
    }
  }),

  rule("CKV_AWS_66", "Log groups have a retention period, and every function logs to one", (stack, found) => {
    const groups = stack.all("aws_cloudwatch_log_group");
    for (const g of groups) {
      if (!isPositive(g.body.retention_in_days)) {
        found.add(
          g.address,
          `retention_in_days is ${shown(g.body.retention_in_days)}: the logs never expire`,
        );
      }
    }
    for (const fn of stack.all("aws_lambda_function")) {
      const chosen = block(fn.body.logging_config)?.log_group;
      if (chosen !== undefined) {
        if (!target(stack, chosen, "aws_cloudwatch_log_group", ["name"], (g) => [g.name])) {
          found.add(fn.address, `logs to ${String(chosen)}, no log group of this stack`);
        }
        continue;
      }
      const name = `/aws/lambda/${String(fn.body.function_name)}`;
      if (!groups.some((g) => g.body.name === name)) {
        found.add(fn.address, `no aws_cloudwatch_log_group ${name}: Lambda creates it, keeping logs forever`);
      }
    }
  }),

  rule("CKV_AWS_76", "API Gateway stages write access logs", (stack, found) => {
    for (const stage of stack.all("aws_api_gateway_stage")) {
      const settings = block(stage.body.access_log_settings);
      if (!settings) {
        found.add(stage.address, "no access_log_settings: requests to the API are not logged");
        continue;
      }
      const ref = reference(settings.destination_arn);
      if (
        !(ref?.type === "aws_cloudwatch_log_group" && stack.get(ref.type, ref.id) && ref.attribute === "arn")
      ) {
        found.add(
          stage.address,
          `access logs go to ${shown(settings.destination_arn)}, not a log group of this stack`,
        );
      }
      let format: unknown;
      try {
        format = JSON.parse(String(settings.format));
      } catch {
        format = undefined;
      }
      if (
        !isObject(format) ||
        format.requestId !== "$context.requestId" ||
        format.status !== "$context.status"
      ) {
        found.add(
          stage.address,
          "access log format is not JSON with requestId and status ($context.requestId, $context.status)",
        );
      }
    }
  }),

  rule("LF_API_THROTTLING", "API Gateway stages throttle every method (rate and burst)", (stack, found) => {
    const all = stack.all("aws_api_gateway_method_settings");
    for (const stage of stack.all("aws_api_gateway_stage")) {
      const settings = all.filter((m) => {
        if (m.body.rest_api_id !== stage.body.rest_api_id) return false;
        const ref = reference(m.body.stage_name);
        return ref
          ? ref.type === "aws_api_gateway_stage" && ref.id === stage.id && ref.attribute === "stage_name"
          : m.body.stage_name === stage.body.stage_name;
      });
      if (!settings.some((m) => m.body.method_path === "*/*")) {
        found.add(
          stage.address,
          'no aws_api_gateway_method_settings for "*/*": its methods are limited only by the account-wide throttle',
        );
      }
      // A method's own settings replace the stage-wide ones, throttling included (unset: none).
      for (const m of settings) {
        const s = block(m.body.settings);
        if (!isPositive(s?.throttling_rate_limit) || !isPositive(s?.throttling_burst_limit)) {
          found.add(
            m.address,
            `${shown(m.body.method_path)}: throttling_rate_limit ${shown(s?.throttling_rate_limit)}, throttling_burst_limit ${shown(s?.throttling_burst_limit)} (both must be above 0)`,
          );
        }
      }
    }
  }),
];
