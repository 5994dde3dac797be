import { createLogger, startInvocation } from "@lambdaform/shared";
import type { APIGatewayProxyResult, Context } from "aws-lambda";
import { answerHello } from "./answer-hello.ts";
import { config } from "./config.ts";

const logger = createLogger("hello-api");

/** Lambda entry point: API Gateway REST API, GET /hello (Lambda proxy integration, payload v1). */
export async function handler(event: unknown, context: Context): Promise<APIGatewayProxyResult> {
  startInvocation(logger, context);
  return answerHello(event, {
    corsOrigin: config.CORS_ALLOW_ORIGIN,
    awsRequestId: context.awsRequestId,
    now: () => new Date(),
    logger,
  });
}
