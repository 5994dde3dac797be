import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { type Construct, Fn } from "../cdktf.ts";

/** The account of a function, read from its ARN (no AWS call at plan time). */
export function accountOf(fn: LambdaFunction): string {
  return Fn.element(Fn.split(":", fn.arn), 4);
}

/** Lets one AWS service invoke a function, only from one source ARN (and account, where supported). */
export function allowInvoke(
  scope: Construct,
  id: string,
  props: {
    readonly fn: LambdaFunction;
    readonly principal: string;
    readonly sourceArn: string;
    readonly sourceAccount?: string;
  },
): LambdaPermission {
  return new LambdaPermission(scope, id, {
    statementId: id,
    action: "lambda:InvokeFunction",
    functionName: props.fn.functionName,
    principal: props.principal,
    sourceArn: props.sourceArn,
    sourceAccount: props.sourceAccount,
  });
}
