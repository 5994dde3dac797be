import { createLogger, parseScheduledEvent, startInvocation } from "@lambdaform/shared";
import type { Context } from "aws-lambda";
import { cloudwatch, ec2 } from "./clients.ts";
import { monitorInstances } from "./monitor-instances.ts";

const logger = createLogger("ec2-monitor");

/**
 * Lambda entry point: the EventBridge schedule (every 5 minutes).
 *
 * Unlike the seed, a failure is logged and thrown rather than returned as a 500: a scheduled
 * function that returns normally hides its failures from Lambda's Errors metric, the alarms and
 * the retry policy.
 */
export async function handler(event: unknown, context: Context): Promise<{ statusCode: 200; body: string }> {
  startInvocation(logger, context);
  try {
    const scheduled = parseScheduledEvent(event);
    logger.info("scheduled run", { rule: scheduled.resources[0], scheduled_time: scheduled.time });
    const body = await monitorInstances({ ec2, cloudwatch, now: () => new Date(), logger });
    return { statusCode: 200, body: JSON.stringify(body) };
  } catch (error) {
    logger.error("monitoring failed", { error: error as Error });
    throw error;
  }
}
