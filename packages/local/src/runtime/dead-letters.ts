import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The record Lambda sends to an on-failure destination for an asynchronous invocation that failed
 * (the documented "invocation record").
 */
export interface InvocationRecord {
  readonly version: "1.0";
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: "RetriesExhausted" | "EventAgeExceeded";
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly responsePayload: unknown;
}

/** Where failed asynchronous events go: a local store here, the real SQS queue under `pnpm dev`. */
export interface FailureDestination {
  deliver(queueName: string, record: InvocationRecord): Promise<void>;
}

/** One stored dead letter. */
export interface DeadLetter {
  readonly id: string;
  readonly queueName: string;
  readonly receivedAt: string;
  readonly record: InvocationRecord;
}

/**
 * A local dead-letter store: one JSON file per destination queue under `<dir>`, so failed events
 * survive restarts and can be listed and redriven.
 */
export class DeadLetterStore implements FailureDestination {
  constructor(readonly dir: string) {}

  private file(queueName: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(queueName)) throw new Error(`bad queue name "${queueName}"`);
    return join(this.dir, `${queueName}.json`);
  }

  private read(queueName: string): DeadLetter[] {
    const file = this.file(queueName);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DeadLetter[]) : [];
  }

  private write(queueName: string, letters: ReadonlyArray<DeadLetter>): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(queueName);
    const staging = `${file}.${process.pid}.tmp`;
    writeFileSync(staging, `${JSON.stringify(letters, null, 2)}\n`);
    renameSync(staging, file);
  }

  async deliver(queueName: string, record: InvocationRecord): Promise<void> {
    const letters = this.read(queueName);
    letters.push({ id: randomUUID(), queueName, receivedAt: new Date().toISOString(), record });
    this.write(queueName, letters);
  }

  /** Every stored dead letter, of one queue or of all. */
  list(queueName?: string): DeadLetter[] {
    if (queueName) return this.read(queueName);
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .flatMap((f) => this.read(f.slice(0, -".json".length)));
  }

  /** Removes dead letters (after a successful redrive). */
  remove(queueName: string, ids: ReadonlyArray<string>): void {
    const drop = new Set(ids);
    this.write(
      queueName,
      this.read(queueName).filter((letter) => !drop.has(letter.id)),
    );
  }
}
