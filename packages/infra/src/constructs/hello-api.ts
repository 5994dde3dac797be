import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { Construct, Fn } from "../cdktf.ts";
import type { StageConfig } from "../config/stages.ts";
import { allowInvoke } from "./permissions.ts";
import { policyDocument, serviceTrustPolicy } from "./policy.ts";

/** The methods of /hello; all go to the function, which answers the CORS preflight itself. */
export const HELLO_METHODS = ["GET", "OPTIONS"] as const;

// API Gateway's documented access-log variables, one JSON object per request.
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integration.error",
});

export interface HelloApiProps {
  readonly name: string;
  readonly fn: LambdaFunction;
  readonly api: StageConfig["api"];
  readonly logRetentionDays: number;
}

/** REST API `LambdaAPI`: /hello → hello-api (Lambda proxy), deployed to one throttled, logged, traced stage. */
export class HelloApi extends Construct {
  readonly restApi: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  /** The invoke URL of GET /hello. */
  readonly helloUrl: string;

  constructor(scope: Construct, id: string, props: HelloApiProps) {
    super(scope, id);
    this.restApi = new ApiGatewayRestApi(this, "api", {
      name: props.name,
      description: "API for Lambda functions",
      endpointConfiguration: { types: ["REGIONAL"] },
    });
    const hello = new ApiGatewayResource(this, "hello", {
      restApiId: this.restApi.id,
      parentId: this.restApi.rootResourceId,
      pathPart: "hello",
    });

    const routeParts: string[] = [hello.id];
    const integrations: ApiGatewayIntegration[] = [];
    for (const method of HELLO_METHODS) {
      const apiMethod = new ApiGatewayMethod(this, `${method.toLowerCase()}-method`, {
        restApiId: this.restApi.id,
        resourceId: hello.id,
        httpMethod: method,
        authorization: "NONE",
      });
      const integration = new ApiGatewayIntegration(this, `${method.toLowerCase()}-integration`, {
        restApiId: this.restApi.id,
        resourceId: hello.id,
        httpMethod: apiMethod.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: props.fn.invokeArn,
      });
      integrations.push(integration);
      routeParts.push(apiMethod.id, integration.id);
      allowInvoke(this, `AllowApiGateway${method}Hello`, {
        fn: props.fn,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${this.restApi.executionArn}/*/${method}/hello`,
      });
    }

    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: this.restApi.id,
      // Any change to a route makes a new deployment; the old one goes only after the new one exists.
      triggers: { redeployment: Fn.sha1(Fn.jsonencode(routeParts)) },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: integrations,
    });

    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${props.name}/access`,
      retentionInDays: props.logRetentionDays,
    });
    const account = props.api.manageAccountLogRole ? this.accountLogRole(accessLogs) : undefined;

    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: this.restApi.id,
      deploymentId: deployment.id,
      stageName: props.api.stageName,
      description: "Production stage",
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: account ? [account] : undefined,
    });

    new ApiGatewayMethodSettings(this, "throttling", {
      restApiId: this.restApi.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        throttlingRateLimit: props.api.throttlingRateLimit,
        throttlingBurstLimit: props.api.throttlingBurstLimit,
      },
    });

    this.helloUrl = `${this.stage.invokeUrl}/hello`;
  }

  /** API Gateway writes access logs with the account's CloudWatch role; this one may write only ours. */
  private accountLogRole(accessLogs: CloudwatchLogGroup): ApiGatewayAccount {
    const role = new IamRole(this, "cloudwatch-role", {
      namePrefix: "lambdaform-apigw-logs-",
      assumeRolePolicy: serviceTrustPolicy(this, "cloudwatch-trust", "apigateway.amazonaws.com").json,
    });
    const policy = new IamRolePolicy(this, "cloudwatch-policy", {
      name: "write-access-logs",
      role: role.id,
      policy: policyDocument(this, "cloudwatch-permissions", [
        {
          sid: "WriteAccessLogs",
          actions: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
          resources: [accessLogs.arn, `${accessLogs.arn}:*`],
        },
      ]).json,
    });
    return new ApiGatewayAccount(this, "account", { cloudwatchRoleArn: role.arn, dependsOn: [policy] });
  }
}
