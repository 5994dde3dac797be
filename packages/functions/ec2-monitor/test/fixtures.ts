import { readFileSync } from "node:fs";
import type { Logger } from "@lambdaform/shared";
import type { ScheduledEvent } from "aws-lambda";

/** Loads a fixture from test/events, fresh each time so a test may modify it. */
export function loadEvent(name: string): ScheduledEvent {
  return JSON.parse(readFileSync(new URL(`./events/${name}.json`, import.meta.url), "utf8"));
}

/** A logger that drops everything. */
export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
