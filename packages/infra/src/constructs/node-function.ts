import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import type { FunctionArtifact } from "../artifacts.ts";
import { AssetType, Construct, TerraformAsset } from "../cdktf.ts";
import type { FunctionSettings } from "../config/stages.ts";
import { siblingArn } from "./arn.ts";
import { DeadLetterQueue } from "./dead-letter-queue.ts";
import { policyDocument, type Statement, serviceTrustPolicy } from "./policy.ts";

export const RUNTIME = "nodejs22.x";
export const ARCHITECTURE = "arm64";

export interface NodeFunctionProps {
  readonly functionName: string;
  readonly artifact: FunctionArtifact;
  readonly settings: FunctionSettings;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
  /** What the function's own code calls, beyond logs and X-Ray (which every function gets). */
  readonly statements: ReadonlyArray<Statement>;
  /** For functions invoked asynchronously: bounded retries and an SQS on-failure destination. */
  readonly async?: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
}

/**
 * A Node.js Lambda function from its prebuilt zip, with its own role (trusted only by Lambda), its
 * own log group with retention, X-Ray tracing, and, when asynchronous, an on-failure DLQ.
 */
export class NodeFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly deadLetterQueue?: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const { functionName } = props;

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    this.role = new IamRole(this, "role", {
      name: functionName,
      assumeRolePolicy: serviceTrustPolicy(this, "trust", "lambda.amazonaws.com").json,
    });

    if (props.async) {
      this.deadLetterQueue = new DeadLetterQueue(this, "dlq", { name: `${functionName}-dlq` });
    }

    const statements: Statement[] = [
      {
        sid: "OwnLogGroup",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
      {
        // X-Ray's put actions support no resource-level permissions.
        sid: "XRayTracing",
        actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        resources: ["*"],
      },
      ...props.statements,
    ];
    if (this.deadLetterQueue) {
      statements.push({
        sid: "OnFailureDestination",
        actions: ["sqs:SendMessage"],
        // The queue's ARN, built from the log group's: the policy, and the function that waits for
        // it, need not wait for the queue's attributes to propagate.
        resources: [siblingArn(this.logGroup.arn, "sqs", this.deadLetterQueue.name)],
      });
    }
    const policy = new IamRolePolicy(this, "policy", {
      name: `${functionName}-permissions`,
      role: this.role.id,
      policy: policyDocument(this, "permissions", statements).json,
    });

    const code = new TerraformAsset(this, "code", { path: props.artifact.zipPath, type: AssetType.FILE });
    this.function = new LambdaFunction(this, "function", {
      functionName,
      role: this.role.arn,
      runtime: RUNTIME,
      architectures: [ARCHITECTURE],
      handler: props.artifact.handler,
      filename: code.path,
      sourceCodeHash: props.artifact.sourceCodeHash,
      memorySize: props.settings.memoryMb,
      timeout: props.settings.timeoutSeconds,
      environment: { variables: { ...props.environment } },
      tracingConfig: { mode: "Active" },
      dependsOn: [this.logGroup, policy],
    });

    if (props.async && this.deadLetterQueue) {
      new LambdaFunctionEventInvokeConfig(this, "async", {
        functionName: this.function.functionName,
        maximumRetryAttempts: props.async.maximumRetryAttempts,
        maximumEventAgeInSeconds: props.async.maximumEventAgeSeconds,
        destinationConfig: { onFailure: { destination: this.deadLetterQueue.queue.arn } },
      });
    }
  }
}
