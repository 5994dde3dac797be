import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import type { FunctionArtifact } from "./artifacts.ts";
import { applyBackend, type BackendConfig } from "./backend.ts";
import { type Construct, TerraformOutput, TerraformStack } from "./cdktf.ts";
import type { FunctionName, StageConfig } from "./config/stages.ts";
import { Alarms } from "./constructs/alarms.ts";
import { FileLogTable } from "./constructs/file-log-table.ts";
import { HelloApi } from "./constructs/hello-api.ts";
import { NodeFunction } from "./constructs/node-function.ts";
import { accountOf, allowInvoke } from "./constructs/permissions.ts";
import { ScheduledMonitor } from "./constructs/scheduled-monitor.ts";
import { UPLOADS, UploadsBucket } from "./constructs/uploads-bucket.ts";
import { METRIC_NAMESPACE } from "./iam-actions.ts";
import { Naming, PROJECT } from "./naming.ts";

export interface LambdaformStackProps {
  readonly config: StageConfig;
  readonly backend: BackendConfig;
  readonly artifact: (name: FunctionName) => FunctionArtifact;
}

/** The whole system of one stage: bucket + trigger, table, three functions, API, schedule, alarms. */
export class LambdaformStack extends TerraformStack {
  constructor(scope: Construct, props: LambdaformStackProps) {
    const names = new Naming(props.config.stage);
    super(scope, names.stack);
    const { config } = props;

    applyBackend(this, names.stack, props.backend);
    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [
        { tags: { ...config.tags, project: PROJECT, stage: config.stage, "managed-by": "cdktf" } },
      ],
    });

    const uploads = new UploadsBucket(this, "uploads", {
      namePrefix: names.prefix("uploads"),
      forceDestroy: !config.deletionProtection,
    });
    const fileLog = new FileLogTable(this, "file-log", {
      name: names.of("FileProcessingLog"),
      deletionProtection: config.deletionProtection,
    });

    const common = { logRetentionDays: config.logRetentionDays };
    const powertools = { POWERTOOLS_LOG_LEVEL: config.logLevel };

    const helloApi = new NodeFunction(this, "hello-api", {
      ...common,
      functionName: names.of("hello-api"),
      artifact: props.artifact("hello-api"),
      settings: config.functions["hello-api"],
      environment: { ...powertools, CORS_ALLOW_ORIGIN: config.api.corsAllowOrigin },
      statements: [],
    });

    const s3Processor = new NodeFunction(this, "s3-processor", {
      ...common,
      functionName: names.of("s3-processor"),
      artifact: props.artifact("s3-processor"),
      settings: config.functions["s3-processor"],
      environment: { ...powertools, TABLE_NAME: fileLog.table.name },
      async: config.async,
      statements: [
        {
          // HeadObject is authorised as GetObject, and as GetObjectVersion when it names a version.
          sid: "ReadUploads",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          resources: [`${uploads.bucket.arn}/${UPLOADS.prefix}*`],
        },
        { sid: "WriteFileLog", actions: ["dynamodb:PutItem"], resources: [fileLog.table.arn] },
      ],
    });

    const ec2Monitor = new NodeFunction(this, "ec2-monitor", {
      ...common,
      functionName: names.of("ec2-monitor"),
      artifact: props.artifact("ec2-monitor"),
      settings: config.functions["ec2-monitor"],
      environment: { ...powertools },
      async: config.async,
      statements: [
        // Neither action supports resource-level permissions; the metric is pinned by its namespace.
        { sid: "CountInstances", actions: ["ec2:DescribeInstances"], resources: ["*"] },
        {
          sid: "PublishInstanceMetric",
          actions: ["cloudwatch:PutMetricData"],
          resources: ["*"],
          conditions: [
            { test: "StringEquals", variable: "cloudwatch:namespace", values: [METRIC_NAMESPACE] },
          ],
        },
      ],
    });

    // Uploads → s3-processor, only for uploads/*.txt, only from this bucket in this account.
    const s3Permission = allowInvoke(this, "AllowS3Uploads", {
      fn: s3Processor.function,
      principal: "s3.amazonaws.com",
      sourceArn: uploads.bucket.arn,
      sourceAccount: accountOf(s3Processor.function),
    });
    new S3BucketNotification(this, "uploads-notification", {
      bucket: uploads.bucket.id,
      lambdaFunction: [
        {
          id: "uploads-txt",
          lambdaFunctionArn: s3Processor.function.arn,
          events: [...UPLOADS.events],
          filterPrefix: UPLOADS.prefix,
          filterSuffix: UPLOADS.suffix,
        },
      ],
      dependsOn: [s3Permission],
    });

    const api = new HelloApi(this, "hello-api-gateway", {
      name: names.of("LambdaAPI"),
      fn: helloApi.function,
      api: config.api,
      logRetentionDays: config.logRetentionDays,
    });

    new ScheduledMonitor(this, "ec2-monitoring-schedule", {
      ruleName: names.of("EC2MonitoringSchedule"),
      schedule: config.monitorSchedule,
      target: ec2Monitor,
      retry: config.async,
    });

    new Alarms(this, "alarms", {
      topicName: names.of("alarms"),
      alarmPrefix: names.stack,
      functions: [helloApi, s3Processor, ec2Monitor],
      api,
      email: config.alarmEmail,
    });

    new TerraformOutput(this, "hello_url", { value: api.helloUrl, description: "Invoke URL of GET /hello" });
    new TerraformOutput(this, "bucket_name", { value: uploads.bucket.bucket });
    new TerraformOutput(this, "table_name", { value: fileLog.table.name });
    new TerraformOutput(this, "function_names", {
      value: {
        "hello-api": helloApi.function.functionName,
        "s3-processor": s3Processor.function.functionName,
        "ec2-monitor": ec2Monitor.function.functionName,
      },
    });
  }
}
