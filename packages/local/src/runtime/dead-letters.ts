import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";

/**
 * The record Lambda sends to an on-failure destination for an asynchronous invocation that failed
 * (the documented "invocation record"). `requestPayload` and `responsePayload` are left out when
 * the record with them would not fit the destination (Lambda drops the payloads then).
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
  readonly requestPayload?: unknown;
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly responsePayload?: unknown;
}

/** SQS's maximum message size (and its default for a queue): 1 MiB since August 2025. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** Where failed asynchronous events go: a local store here, the real SQS queue under `pnpm dev`. */
export interface FailureDestination {
  /** Sends one record; rejects when it could not (the runtime logs and counts that, never throws it on). */
  deliver(queueName: string, record: InvocationRecord): Promise<void>;
  /**
   * The largest record (bytes of its JSON) the queue takes; {@link SQS_MAX_MESSAGE_BYTES} when not
   * given. A larger record is sent without its payloads, as Lambda sends it.
   */
  maxRecordBytes?(queueName: string): Promise<number>;
}

/** One stored dead letter. */
export interface DeadLetter {
  readonly id: string;
  readonly queueName: string;
  readonly receivedAt: string;
  readonly record: InvocationRecord;
}

/** A file in the store that holds no readable dead letter (skipped, never deleted). */
export interface UnreadableLetter {
  readonly file: string;
  readonly reason: string;
}

/** SQS queue names: up to 80 letters, digits, `-` and `_`, and `.fifo` for a FIFO queue. Never a path. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const LETTER_ID = /^[A-Za-z0-9-]{1,64}$/;
const LETTER_FILE = /^\d{13}-\d{6}-([A-Za-z0-9-]{1,64})\.json$/;

/** Whether a name can be an SQS queue's (the store keeps nothing else, and never a path). */
export function isQueueName(name: string): boolean {
  return QUEUE_NAME.test(name);
}

let sequence = 0;

/**
 * A local dead-letter store: one JSON file per dead letter under `<dir>/<queue>/`, written to a
 * temporary file and renamed into place, so failed events survive restarts, a reader never sees a
 * half-written letter, and writers (a runtime delivering, `pnpm dlq` redriving) never rewrite each
 * other's letters: delivering adds a file, removing unlinks one. File names sort in delivery order.
 *
 * Stores of the earlier layout (one `<queue>.json` array per queue) are still read; the first
 * change to such a queue moves its letters into the new layout.
 */
export class DeadLetterStore implements FailureDestination {
  constructor(readonly dir: string) {}

  private queueDir(queueName: string): string {
    if (!isQueueName(queueName)) throw new Error(`"${queueName}" is not an SQS queue name`);
    return join(this.dir, queueName);
  }

  async deliver(queueName: string, record: InvocationRecord): Promise<void> {
    this.add({ id: randomUUID(), queueName, receivedAt: new Date().toISOString(), record });
  }

  private add(letter: DeadLetter): void {
    if (!LETTER_ID.test(letter.id)) throw new Error(`"${letter.id}" is not a dead-letter id`);
    const dir = this.queueDir(letter.queueName);
    mkdirSync(dir, { recursive: true });
    sequence = (sequence + 1) % 1_000_000;
    const at = String(Date.parse(letter.receivedAt) || Date.now()).padStart(13, "0");
    const name = `${at}-${String(sequence).padStart(6, "0")}-${letter.id}.json`;
    const staging = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(staging, `${JSON.stringify(letter, null, 2)}\n`);
    renameSync(staging, join(dir, name));
  }

  async maxRecordBytes(): Promise<number> {
    return SQS_MAX_MESSAGE_BYTES;
  }

  /** Every stored dead letter, of one queue or of all; unreadable files are skipped (see {@link scan}). */
  list(queueName?: string): DeadLetter[] {
    return this.scan(queueName).letters;
  }

  /** Every stored dead letter, of one queue or of all, and the files that hold none. */
  scan(queueName?: string): { letters: DeadLetter[]; unreadable: UnreadableLetter[] } {
    const letters: DeadLetter[] = [];
    const unreadable: UnreadableLetter[] = [];
    for (const queue of queueName === undefined ? this.queues() : [queueName]) {
      const found = this.read(queue);
      letters.push(...found.letters);
      unreadable.push(...found.unreadable);
    }
    return { letters, unreadable };
  }

  /** Removes dead letters (once redriven). */
  remove(queueName: string, ids: ReadonlyArray<string>): void {
    this.migrate(queueName);
    const drop = new Set(ids);
    const dir = this.queueDir(queueName);
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      const id = LETTER_FILE.exec(name)?.[1];
      if (id && drop.has(id)) rmSync(join(dir, name), { force: true });
    }
  }

  /** The queues with letters stored, in either layout. */
  private queues(): string[] {
    if (!existsSync(this.dir)) return [];
    const names = new Set<string>();
    for (const entry of readdirSync(this.dir)) {
      const name = entry.endsWith(".json") ? entry.slice(0, -".json".length) : entry;
      if (isQueueName(name)) names.add(name);
    }
    return [...names].sort();
  }

  private read(queueName: string): { letters: DeadLetter[]; unreadable: UnreadableLetter[] } {
    const letters: DeadLetter[] = [];
    const unreadable: UnreadableLetter[] = [];
    const legacy = this.legacyFile(queueName);
    if (existsSync(legacy)) {
      try {
        letters.push(...parseLegacy(legacy));
      } catch (error) {
        unreadable.push({ file: legacy, reason: (error as Error).message });
      }
    }
    const dir = this.queueDir(queueName);
    if (existsSync(dir) && statSync(dir).isDirectory()) {
      for (const name of readdirSync(dir).sort()) {
        if (name.startsWith(".")) continue;
        const file = join(dir, name);
        try {
          if (!LETTER_FILE.test(name)) throw new Error("not a dead-letter file name");
          letters.push(parseLetter(readFileSync(file, "utf8"), queueName));
        } catch (error) {
          unreadable.push({ file, reason: (error as Error).message });
        }
      }
    }
    return { letters, unreadable };
  }

  private legacyFile(queueName: string): string {
    return `${this.queueDir(queueName)}.json`;
  }

  /** Moves a queue's letters from the earlier layout's `<queue>.json` into files of their own. */
  private migrate(queueName: string): void {
    const legacy = this.legacyFile(queueName);
    if (!existsSync(legacy)) return;
    let letters: DeadLetter[];
    try {
      letters = parseLegacy(legacy);
    } catch {
      return; // Left in place: listing names it.
    }
    const dir = this.queueDir(queueName);
    const present = new Set(
      (existsSync(dir) ? readdirSync(dir) : []).flatMap((n) => LETTER_FILE.exec(n)?.[1] ?? []),
    );
    for (const letter of letters) {
      const id = LETTER_ID.test(letter.id) ? letter.id : randomUUID();
      if (!present.has(id)) this.add({ ...letter, id, queueName });
    }
    unlinkSync(legacy);
  }
}

/** A parsed dead letter, checked for what listing and redriving need. */
function asLetter(value: unknown, queueName: string): DeadLetter {
  const letter = value as DeadLetter | null;
  if (typeof letter?.id !== "string" || typeof letter.record?.requestContext?.functionArn !== "string")
    throw new Error("not a dead letter (no id or record.requestContext.functionArn)");
  return { ...letter, queueName };
}

function parseLetter(text: string, queueName: string): DeadLetter {
  return asLetter(JSON.parse(text), queueName);
}

function parseLegacy(file: string): DeadLetter[] {
  const letters = JSON.parse(readFileSync(file, "utf8")) as unknown;
  if (!Array.isArray(letters)) throw new Error("not a list of dead letters");
  const queueName = basename(file).slice(0, -".json".length);
  return letters.map((letter) => asLetter(letter, queueName));
}
