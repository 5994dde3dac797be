import { readFileSync } from "node:fs";
import { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEvent } from "aws-lambda";
import type { AnswerHelloDeps } from "../src/answer-hello.ts";

/** Loads a fixture from test/events, fresh each time so a test may modify it. */
export function loadEvent(name: string): APIGatewayProxyEvent & Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./events/${name}.json`, import.meta.url), "utf8"));
}

export const SECRETS = ["eyJhbGciOiJIUzI1NiJ9.secret-token", "s3cr3t-session", "AKIA-key-value-123"] as const;

export const FIXED_NOW = new Date("2026-11-27T10:15:30.000Z");

/**
 * Core dependencies with a fixed clock and a DEBUG logger, so tests can read every log line
 * (wrap calls in captureOutput to read them; the rest goes to the test output).
 */
export function testDeps(overrides: Partial<AnswerHelloDeps> = {}): AnswerHelloDeps {
  return {
    corsOrigin: "*",
    awsRequestId: "lambda-request-id",
    now: () => FIXED_NOW,
    logger: new Logger({ serviceName: "hello-api-test", logLevel: "DEBUG" }),
    ...overrides,
  };
}
