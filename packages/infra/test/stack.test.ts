import { expect } from "chai";
import { STAGES } from "../src/config/stages.ts";
import { functionOf, type SynthStack, synthOnce } from "./helpers.ts";

const ref = (
  type: string,
  stack: SynthStack,
  predicate: (r: Record<string, unknown>) => boolean,
  attr: string,
) => `\${${type}.${stack.idOf(type, predicate)}.${attr}}`;

for (const stage of ["dev", "prod"] as const) {
  describe(`the ${stage} stack`, () => {
    let stack: SynthStack;
    const config = STAGES[stage];

    before(() => {
      stack = synthOnce().stacks[stage];
    });

    it("uses a local backend with a relative state path and default tags on the provider", () => {
      const terraform = stack.json.terraform as Record<string, unknown>;
      expect(terraform.backend).to.deep.equal({ local: { path: `terraform.lambdaform-${stage}.tfstate` } });
      const [provider] = (stack.json.provider as { aws: Array<Record<string, unknown>> }).aws;
      expect(provider?.region).to.equal(config.region);
      expect(provider?.default_tags).to.deep.equal([
        { tags: { ...config.tags, project: "lambdaform", stage, "managed-by": "cdktf" } },
      ]);
    });

    it("reads nothing from AWS at plan time: the only data sources are local policy documents", () => {
      expect(Object.keys((stack.json.data as object) ?? {})).to.deep.equal(["aws_iam_policy_document"]);
    });

    it("declares the uploads bucket and sends uploads/*.txt creations to s3-processor", () => {
      const bucket = stack.only("aws_s3_bucket");
      expect(bucket.bucket_prefix).to.equal(`lambdaform-${stage}-uploads-`);
      const notification = stack.only("aws_s3_bucket_notification");
      const processor = functionOf(stack, "s3-processor");
      expect(notification.lambda_function).to.deep.equal([
        {
          id: "uploads-txt",
          events: ["s3:ObjectCreated:*"],
          filter_prefix: "uploads/",
          filter_suffix: ".txt",
          lambda_function_arn: `\${aws_lambda_function.${processor.id}.arn}`,
        },
      ]);
      const permission = Object.values(stack.resources("aws_lambda_permission")).find(
        (p) => p.principal === "s3.amazonaws.com",
      );
      expect(permission?.source_arn).to.equal(ref("aws_s3_bucket", stack, () => true, "arn"));
      expect(notification.depends_on).to.deep.equal([`aws_lambda_permission.AllowS3Uploads`]);
    });

    it("declares FileProcessingLog on demand, keyed by file_key, with PITR, SSE and stage deletion protection", () => {
      expect(stack.only("aws_dynamodb_table")).to.deep.include({
        name: `lambdaform-${stage}-FileProcessingLog`,
        billing_mode: "PAY_PER_REQUEST",
        hash_key: "file_key",
        attribute: [{ name: "file_key", type: "S" }],
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true },
        deletion_protection_enabled: stage === "prod",
      });
    });

    for (const role of ["hello-api", "s3-processor", "ec2-monitor"] as const) {
      it(`deploys ${role} from its deterministic zip on nodejs22.x arm64 with stage sizing`, () => {
        const { fn } = functionOf(stack, role);
        const settings = config.functions[role];
        expect(fn).to.deep.include({
          function_name: `lambdaform-${stage}-${role}`,
          runtime: "nodejs22.x",
          architectures: ["arm64"],
          handler: "index.handler",
          memory_size: settings.memoryMb,
          timeout: settings.timeoutSeconds,
          tracing_config: { mode: "Active" },
        });
        expect(fn.filename).to.match(new RegExp(`^assets/${role}_code_[0-9A-F]+/[0-9A-F]+/function\\.zip$`));
        expect(fn.source_code_hash).to.match(/^[A-Za-z0-9+/]{43}=$/);
        const logGroup = Object.values(stack.resources("aws_cloudwatch_log_group")).find(
          (g) => g.name === `/aws/lambda/lambdaform-${stage}-${role}`,
        );
        expect(logGroup?.retention_in_days).to.equal(config.logRetentionDays);
      });
    }

    it("passes configuration, never secrets, through the environment", () => {
      const env = (role: string) =>
        (functionOf(stack, role).fn.environment as { variables: Record<string, string> }).variables;
      expect(env("hello-api")).to.deep.equal({
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        CORS_ALLOW_ORIGIN: "*",
      });
      expect(env("s3-processor")).to.deep.equal({
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        TABLE_NAME: ref("aws_dynamodb_table", stack, () => true, "name"),
      });
      expect(env("ec2-monitor")).to.deep.equal({ POWERTOOLS_LOG_LEVEL: config.logLevel });
    });

    it("gives the asynchronous functions bounded retries and an SQS on-failure destination", () => {
      const configs = Object.values(stack.resources("aws_lambda_function_event_invoke_config"));
      expect(configs).to.have.length(2);
      for (const role of ["s3-processor", "ec2-monitor"]) {
        const { id } = functionOf(stack, role);
        const invokeConfig = configs.find(
          (c) => c.function_name === `\${aws_lambda_function.${id}.function_name}`,
        );
        expect(invokeConfig?.maximum_retry_attempts).to.equal(config.async.maximumRetryAttempts);
        const destination = invokeConfig?.destination_config as
          | { on_failure: { destination: string } }
          | undefined;
        expect(destination?.on_failure.destination).to.match(/^\$\{aws_sqs_queue\.[^.]+\.arn\}$/);
      }
    });

    it("declares REST API LambdaAPI with GET and OPTIONS /hello as Lambda proxy integrations", () => {
      const hello = functionOf(stack, "hello-api");
      expect(stack.only("aws_api_gateway_rest_api")).to.deep.include({
        name: `lambdaform-${stage}-LambdaAPI`,
        endpoint_configuration: { types: ["REGIONAL"] },
      });
      expect(stack.only("aws_api_gateway_resource").path_part).to.equal("hello");
      const methods = Object.values(stack.resources("aws_api_gateway_method")).map((m) => m.http_method);
      expect(methods.sort()).to.deep.equal(["GET", "OPTIONS"]);
      for (const integration of Object.values(stack.resources("aws_api_gateway_integration"))) {
        expect(integration).to.deep.include({
          type: "AWS_PROXY",
          integration_http_method: "POST",
          uri: `\${aws_lambda_function.${hello.id}.invoke_arn}`,
        });
      }
    });

    it("redeploys the API when a route changes, creating the new deployment before destroying the old", () => {
      const deployment = stack.only("aws_api_gateway_deployment");
      expect(deployment.lifecycle).to.deep.equal({ create_before_destroy: true });
      expect(String((deployment.triggers as Record<string, string>).redeployment)).to.match(
        /^\$\{sha1\(jsonencode\(/,
      );
    });

    it("serves stage prod with access logs, X-Ray and method throttling", () => {
      const apiStage = stack.only("aws_api_gateway_stage");
      expect(apiStage).to.deep.include({ stage_name: "prod", xray_tracing_enabled: true });
      expect((apiStage.access_log_settings as { destination_arn: string }).destination_arn).to.match(
        /^\$\{aws_cloudwatch_log_group\.[^.]+\.arn\}$/,
      );
      expect(stack.only("aws_api_gateway_method_settings")).to.deep.include({
        method_path: "*/*",
        settings: {
          metrics_enabled: true,
          throttling_rate_limit: config.api.throttlingRateLimit,
          throttling_burst_limit: config.api.throttlingBurstLimit,
        },
      });
    });

    it("lets API Gateway invoke hello-api only for GET and OPTIONS /hello of this API", () => {
      const apiArn = ref("aws_api_gateway_rest_api", stack, () => true, "execution_arn");
      const sources = Object.values(stack.resources("aws_lambda_permission"))
        .filter((p) => p.principal === "apigateway.amazonaws.com")
        .map((p) => p.source_arn)
        .sort();
      expect(sources).to.deep.equal([`${apiArn}/*/GET/hello`, `${apiArn}/*/OPTIONS/hello`]);
    });

    it("runs ec2-monitor every 5 minutes from EC2MonitoringSchedule, with retries and a DLQ", () => {
      const monitor = functionOf(stack, "ec2-monitor");
      expect(stack.only("aws_cloudwatch_event_rule")).to.deep.include({
        name: `lambdaform-${stage}-EC2MonitoringSchedule`,
        schedule_expression: "rate(5 minutes)",
      });
      const target = stack.only("aws_cloudwatch_event_target");
      expect(target.arn).to.equal(`\${aws_lambda_function.${monitor.id}.arn}`);
      expect(target.retry_policy).to.deep.equal({
        maximum_retry_attempts: config.async.maximumRetryAttempts,
        maximum_event_age_in_seconds: config.async.maximumEventAgeSeconds,
      });
      expect((target.dead_letter_config as { arn: string }).arn).to.match(
        /^\$\{aws_sqs_queue\.[^.]+\.arn\}$/,
      );
      const permission = Object.values(stack.resources("aws_lambda_permission")).find(
        (p) => p.principal === "events.amazonaws.com",
      );
      expect(permission?.source_arn).to.equal(ref("aws_cloudwatch_event_rule", stack, () => true, "arn"));
    });

    it("lets only this rule's EventBridge deliveries into the monitor's DLQ, by a policy on the queue itself", () => {
      const queues = stack.resources("aws_sqs_queue");
      const dlq = Object.values(queues).find((q) => q.name === `lambdaform-${stage}-ec2-monitor-dlq`);
      expect(Object.keys(stack.resources("aws_sqs_queue_policy"))).to.deep.equal([]);
      const [statement, ...others] = stack.policyStatements(dlq?.policy);
      expect(others).to.deep.equal([]);
      expect(statement).to.deep.include({
        sid: "EventBridgeDeadLetters",
        effect: "Allow",
        actions: ["sqs:SendMessage"],
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        condition: [
          {
            test: "ArnEquals",
            variable: "aws:SourceArn",
            values: [ref("aws_cloudwatch_event_rule", stack, () => true, "arn")],
          },
        ],
      });
      expect(statement?.resources?.[0])
        .to.contain(`"sqs"`)
        .and.to.contain(`lambdaform-${stage}-ec2-monitor-dlq`);
    });

    it("alarms on every function's Errors and Throttles, API 5XX and waiting dead letters, to SNS", () => {
      const alarms = Object.values(stack.resources("aws_cloudwatch_metric_alarm"));
      const keys = alarms.map((a) => `${a.namespace} ${a.metric_name}`).sort();
      expect(keys).to.deep.equal([
        "AWS/ApiGateway 5XXError",
        "AWS/Lambda Errors",
        "AWS/Lambda Errors",
        "AWS/Lambda Errors",
        "AWS/Lambda Throttles",
        "AWS/Lambda Throttles",
        "AWS/Lambda Throttles",
        "AWS/SQS ApproximateNumberOfMessagesVisible",
        "AWS/SQS ApproximateNumberOfMessagesVisible",
      ]);
      const topic = ref("aws_sns_topic", stack, () => true, "arn");
      for (const alarm of alarms) expect(alarm.alarm_actions).to.deep.equal([topic]);
      expect(Object.keys(stack.resources("aws_sns_topic_subscription"))).to.have.length(
        config.alarmEmail ? 1 : 0,
      );
    });

    it("outputs the /hello URL, bucket, table and function names", () => {
      const outputs = stack.json.output as Record<string, { value: unknown }>;
      expect(Object.keys(outputs).sort()).to.deep.equal([
        "bucket_name",
        "function_names",
        "hello_url",
        "table_name",
      ]);
      expect(String(outputs.hello_url?.value)).to.match(
        /^\$\{aws_api_gateway_stage\.[^.]+\.invoke_url\}\/hello$/,
      );
    });
  });
}
