import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  ResourceAlreadyExistsException,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import { functionCredentials, functionNameFromArn } from "../identity.ts";
import {
  type FailureDestination,
  type InvocationRecord,
  SQS_MAX_MESSAGE_BYTES,
} from "../runtime/dead-letters.ts";
import { awsJsonCall } from "./aws-json.ts";

/** PutLogEvents limits: 10,000 events and 1,048,576 bytes (each message's UTF-8 size plus 26). */
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
/** Lambda delivers logs to CloudWatch within about a second; shipping less often keeps moto's load low. */
export const LOG_FLUSH_INTERVAL_MS = 500;
/**
 * …or as soon as one stream has this many lines waiting: PutLogEvents takes one stream a call, and
 * a function's lines are spread over its environments' streams (ten under load), so counting all
 * streams together made ten calls of a hundred lines each, every one of them an fsync of moto's
 * journal and a connection of its own.
 */
const LOG_FLUSH_STREAM_EVENTS = 1000;
/** …or this many in all, so lines never pile up in memory (about 4 MB of typical lines). */
const LOG_FLUSH_EVENTS = 10_000;
/**
 * …and never more than this many waiting, whatever moto does. A flush already running when the
 * lines above ask for one does not take them until its calls are answered, and moto answers no
 * write while it pickles its whole state (`--snapshot-every`): 16 s once the stored log events of
 * 330,000 API requests made it 300 MB. Every line written meanwhile waited here (90,000 of them,
 * 25 MB of pnpm dev's heap), more with every snapshot. Past this many a stream's further lines are
 * counted, not kept, and the stream gets one line saying how many, as Lambda reports the lines its
 * buffer had no room for (`platform.logsDropped`).
 */
export const MAX_PENDING_EVENTS = 2 * LOG_FLUSH_EVENTS;

type LogEvent = { timestamp: number; message: string };
/** One stream's lines waiting, and how many more it wrote past {@link MAX_PENDING_EVENTS}. */
type StreamBatch = { group: string; stream: string; events: LogEvent[]; dropped: number };

/** Splits a stream's events into batches PutLogEvents accepts. */
export function logBatches(events: ReadonlyArray<LogEvent>): LogEvent[][] {
  const batches: LogEvent[][] = [];
  let current: LogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message) + 26;
    if (current.length > 0 && (current.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Writes function log lines into their CloudWatch Logs group in moto, as Lambda does
 * (`/aws/lambda/<function>`, one stream per execution environment), in batches within
 * PutLogEvents' limits, twice a second. It writes as the Lambda service, straight through the
 * gateway's moto link. Every line of every invocation comes through here (four for the smallest),
 * so adding one is a push, and PutLogEvents' body is written by JSON.stringify, not the SDK.
 */
export class LogShipper {
  private readonly client: CloudWatchLogsClient;
  /** Lines waiting, by log stream (one per execution environment, so one function's). */
  private readonly pending = new Map<string, StreamBatch>();
  private readonly groups = new Map<string, string>();
  private readonly created = new Set<string>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private pendingEvents = 0;

  constructor(
    private readonly moto: MotoClientConfig,
    private readonly onError: (message: string) => void,
  ) {
    this.client = new CloudWatchLogsClient(moto);
  }

  add(functionName: string, stream: string, message: string): void {
    let group = this.groups.get(functionName);
    if (group === undefined) {
      group = `/aws/lambda/${functionName}`;
      this.groups.set(functionName, group);
    }
    // Stream names are unique per environment; a name two functions shared would get its own key.
    let key = stream;
    let batch = this.pending.get(key);
    if (batch && batch.group !== group) {
      key = `${group}\u0000${stream}`;
      batch = this.pending.get(key);
    }
    if (!batch) {
      batch = { group, stream, events: [], dropped: 0 };
      this.pending.set(key, batch);
    }
    // A flush is queued already (LOG_FLUSH_EVENTS asked for it): it takes these when it starts.
    if (this.pendingEvents >= MAX_PENDING_EVENTS) {
      batch.dropped += 1;
      return;
    }
    batch.events.push({ timestamp: Date.now(), message });
    this.pendingEvents += 1;
    // Under load, ship as soon as a batch is worth a call, so big bodies never pile up in memory.
    if (batch.events.length >= LOG_FLUSH_STREAM_EVENTS || this.pendingEvents >= LOG_FLUSH_EVENTS)
      this.flushSoon();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flushSoon();
      }, LOG_FLUSH_INTERVAL_MS);
  }

  /** Queues one flush after those running (never more than one waiting). */
  private flushSoon(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.flushing = this.flushing.then(() => {
      this.flushQueued = false;
      return this.flush();
    });
  }

  async flush(): Promise<void> {
    const batches = [...this.pending.values()];
    this.pending.clear();
    this.pendingEvents = 0;
    let dropped = 0;
    for (const batch of batches)
      if (batch.dropped > 0) {
        dropped += batch.dropped;
        batch.events.push({
          timestamp: Date.now(),
          message: `[lambdaform] ${batch.dropped} log lines of this environment were dropped: CloudWatch Logs (moto) was not taking them (${MAX_PENDING_EVENTS} lines waiting already)`,
        });
      }
    if (dropped > 0)
      this.onError(
        `${dropped} function log lines were not written to CloudWatch Logs: moto was not taking them (${MAX_PENDING_EVENTS} waiting already)`,
      );
    for (const batch of batches) {
      try {
        const key = `${batch.group}\u0000${batch.stream}`;
        if (!this.created.has(key)) {
          await this.client
            .send(new CreateLogStreamCommand({ logGroupName: batch.group, logStreamName: batch.stream }))
            .catch((error: Error) => {
              if (!(error instanceof ResourceAlreadyExistsException)) throw error;
            });
          this.created.add(key);
        }
        for (const logEvents of logBatches(batch.events)) {
          await awsJsonCall(
            this.moto,
            "logs",
            "Logs_20140328.PutLogEvents",
            JSON.stringify({ logGroupName: batch.group, logStreamName: batch.stream, logEvents }),
          );
        }
      } catch (error) {
        this.onError(`could not write logs to ${batch.group}: ${(error as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }
}

/**
 * Delivers failed asynchronous events to their SQS on-failure destination in moto, sent with the
 * function's own credentials through the gateway, so the role's sqs:SendMessage is checked as on AWS.
 */
export class SqsDestination implements FailureDestination {
  private readonly admin: SQSClient;
  // One client per function and one URL per queue, reused across deliveries.
  private readonly clients = new Map<string, SQSClient>();
  private readonly queueUrls = new Map<string, string>();
  private readonly region: string;

  /** `moto` looks queue URLs up (as the Lambda service); sends go through the gateway as the function. */
  constructor(
    moto: MotoClientConfig,
    private readonly gatewayEndpoint: string,
  ) {
    this.admin = new SQSClient(moto);
    this.region = moto.region;
  }

  private async queueUrl(queueName: string): Promise<string> {
    let QueueUrl = this.queueUrls.get(queueName);
    if (!QueueUrl) {
      QueueUrl = (await this.admin.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl ?? "";
      this.queueUrls.set(queueName, QueueUrl);
    }
    return QueueUrl;
  }

  /** The queue's MaximumMessageSize (looked up each time: Terraform may change it). */
  async maxRecordBytes(queueName: string): Promise<number> {
    const { Attributes } = await this.admin.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.queueUrl(queueName),
        AttributeNames: ["MaximumMessageSize"],
      }),
    );
    const size = Number(Attributes?.MaximumMessageSize);
    return Number.isInteger(size) && size > 0 ? size : SQS_MAX_MESSAGE_BYTES;
  }

  async deliver(queueName: string, record: InvocationRecord): Promise<void> {
    const functionName = functionNameFromArn(record.requestContext.functionArn);
    const QueueUrl = await this.queueUrl(queueName);
    let asFunction = this.clients.get(functionName);
    if (!asFunction) {
      asFunction = new SQSClient({
        endpoint: this.gatewayEndpoint,
        region: this.region,
        credentials: functionCredentials(functionName),
      });
      this.clients.set(functionName, asFunction);
    }
    await asFunction.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(record) }));
  }
}
