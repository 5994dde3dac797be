import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Lambda's event queue, made durable on disk: an asynchronous invocation accepted (an S3 upload's
 * event, a schedule's, `pnpm invoke --async`) is written here before it is acknowledged and removed
 * once it has ended (succeeded, or failed and its record went to the on-failure destination, or
 * was dropped). One that was still queued, running or waiting for a retry when pnpm dev was killed,
 * or when a redeploy closed its runtime, is found here and run again: at least once, as on Lambda.
 * One file per event, written whole (temporary file, then rename), so a kill never leaves half a
 * record.
 */

/** An accepted asynchronous invocation. */
export interface QueuedEvent {
  readonly functionName: string;
  readonly requestId: string;
  readonly event: unknown;
  /** When it was first accepted (ms since the epoch): its age counts from here, across restarts. */
  readonly acceptedAt: number;
}

/** A file of the queue that holds no readable event, and why (it is left where it is). */
export interface UnreadableEvent {
  readonly file: string;
  readonly reason: string;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

export class EventQueue {
  /** Events this process runs now; the rest of the directory is what nobody runs. */
  private readonly live = new Set<string>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Events accepted by this process and not yet ended. */
  get running(): number {
    return this.live.size;
  }

  /** Records an accepted event (before the invocation is acknowledged). */
  accept(queued: QueuedEvent): void {
    if (!ID.test(queued.requestId)) throw new Error(`request id "${queued.requestId}" cannot name a file`);
    const file = join(this.dir, `${queued.requestId}.json`);
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(queued));
    renameSync(partial, file);
    this.live.add(queued.requestId);
  }

  /** The event has ended: it leaves the queue. */
  settle(requestId: string): void {
    this.live.delete(requestId);
    rmSync(join(this.dir, `${requestId}.json`), { force: true });
  }

  /** The runtime running it closed first (a redeploy, a stop): it stays queued for the next one. */
  release(requestId: string): void {
    this.live.delete(requestId);
  }

  /** Events in the queue that no runtime of this process runs (oldest first). */
  pending(): { events: QueuedEvent[]; unreadable: UnreadableEvent[] } {
    const events: QueuedEvent[] = [];
    const unreadable: UnreadableEvent[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (name.endsWith(".tmp")) {
        // A write a kill interrupted before its rename: the event was never acknowledged.
        rmSync(join(this.dir, name), { force: true });
        continue;
      }
      const requestId = name.replace(/\.json$/, "");
      if (!name.endsWith(".json") || this.live.has(requestId)) continue;
      try {
        const queued = JSON.parse(readFileSync(join(this.dir, name), "utf8")) as Partial<QueuedEvent>;
        if (typeof queued.functionName !== "string" || queued.requestId !== requestId || !("event" in queued))
          throw new Error("it is not a queued event (functionName, requestId and event are required)");
        events.push({
          functionName: queued.functionName,
          requestId,
          event: queued.event,
          acceptedAt: typeof queued.acceptedAt === "number" ? queued.acceptedAt : Date.now(),
        });
      } catch (error) {
        unreadable.push({ file: join(this.dir, name), reason: (error as Error).message });
      }
    }
    events.sort((a, b) => a.acceptedAt - b.acceptedAt);
    return { events, unreadable };
  }
}
