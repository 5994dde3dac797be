import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";

/** How often `--follow` asks for new events. */
export const FOLLOW_POLL_MS = 200;
/**
 * How far back each ask of `--follow` reaches before the newest event seen. Events reach
 * CloudWatch Logs in batches per stream, so one stamped earlier than another stream's newest can
 * arrive after it; those seen already are told apart by id.
 */
const LOOKBACK_MS = 10_000;

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The start of `--since`: a duration back from now (`30s`, `10m`, `2h`, `1d`) or a time
 * (`2026-12-01T10:00:00Z`). Undefined for anything else.
 */
export function sinceTime(value: string, now = Date.now()): number | undefined {
  const duration = /^(\d+)([smhd])$/.exec(value.trim());
  if (duration) return now - Number(duration[1]) * (UNITS_MS[duration[2] ?? ""] ?? 0);
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** One event as `pnpm logs` prints it: the time, the stream and the message, on one line. */
export function formatEvent(event: FilteredLogEvent): string {
  const time = new Date(event.timestamp ?? 0).toISOString();
  return `${time}  ${event.logStreamName ?? "?"}  ${(event.message ?? "").replace(/\r?\n$/, "").replace(/\n/g, "\\n")}`;
}

export interface TailOptions {
  readonly client: CloudWatchLogsClientConfig;
  readonly logGroupName: string;
  readonly startTime: number;
  /** Only events whose message contains this text. */
  readonly filter?: string;
  /** Keep asking for new events until `signal` aborts. */
  readonly follow: boolean;
  readonly signal?: AbortSignal;
  readonly print: (line: string) => void;
}

/**
 * Prints a log group's events since `startTime`, oldest first, one line each, and with `follow`
 * keeps printing new ones as they arrive. Returns how many it printed.
 */
export async function tailLogs(options: TailOptions): Promise<number> {
  const client = new CloudWatchLogsClient(options.client);
  // Events already printed, by id, with their time: the next ask starts at the newest time seen.
  const seen = new Map<string, number>();
  let from = options.startTime;
  let printed = 0;
  for (;;) {
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: options.logGroupName,
          startTime: Math.max(options.startTime, from - LOOKBACK_MS),
          nextToken,
          interleaved: true,
        }),
        { abortSignal: options.signal },
      );
      const events = [...(page.events ?? [])].sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
      for (const event of events) {
        const id = event.eventId ?? `${event.logStreamName}:${event.timestamp}:${event.message}`;
        if (seen.has(id)) continue;
        seen.set(id, event.timestamp ?? 0);
        from = Math.max(from, event.timestamp ?? from);
        if (options.filter && !(event.message ?? "").includes(options.filter)) continue;
        options.print(formatEvent(event));
        printed += 1;
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (!options.follow || options.signal?.aborted) return printed;
    for (const [id, time] of seen) if (time < from - LOOKBACK_MS) seen.delete(id);
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    if (options.signal?.aborted) return printed;
  }
}
