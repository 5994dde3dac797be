/**
 * An execution environment's log output: what the function's worker writes to the shared ring
 * (log-ring.ts), read on the host as lines, each mapped back to the TypeScript sources and sent to
 * `onLog` as it is read, and kept until the invocation's result takes them.
 */
import { LogRing } from "./log-ring.ts";
import type { StackTraceMapper } from "./source-maps.ts";
import type { LogSink } from "./types.ts";

export class EnvironmentLog {
  /** The ring the worker writes to (its buffer goes to the worker at start). */
  readonly ring = new LogRing();
  private lines: string[] = [];

  constructor(
    /** What each line is sent to `onLog` with. */
    private readonly meta: { readonly functionName: string; readonly logStreamName: string },
    private readonly onLog?: LogSink,
    /** Set when the code is known (a spare environment learns it after its start). */
    public traces?: StackTraceMapper,
  ) {}

  /**
   * Reads what the worker logged so far: each line is kept and goes to `onLog`, in order. `wake`
   * when the worker asked for room (a `drain` message): it waits until it is told.
   */
  read(wake = false): void {
    if (wake || this.ring.pending) this.ring.drain(this.write, wake);
  }

  /** One write of the function's output: each of its lines (empty ones aside) is a log line. */
  readonly write = (text: string): void => {
    const newline = text.indexOf("\n");
    // Most writes are one line and its newline.
    if (newline === -1) this.line(text);
    else if (newline === text.length - 1) this.line(text.slice(0, -1));
    else for (const raw of text.split("\n")) this.line(raw);
  };

  /** Takes the lines kept since the last take. */
  take(): string[] {
    const lines = this.lines;
    this.lines = [];
    return lines;
  }

  private line(raw: string): void {
    if (raw === "") return;
    const line = this.traces ? this.traces.mapText(raw) : raw;
    this.lines.push(line);
    this.onLog?.(line, this.meta);
  }
}
