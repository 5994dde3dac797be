import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import { functionCredentials, functionNameFromArn } from "../identity.ts";
import type { FailureDestination, InvocationRecord } from "../runtime/dead-letters.ts";

/** PutLogEvents limits: 10,000 events and 1,048,576 bytes (each message's UTF-8 size plus 26). */
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
/** Lambda delivers logs to CloudWatch within about a second; shipping less often keeps moto's load low. */
export const LOG_FLUSH_INTERVAL_MS = 500;
/** …or as soon as this many lines wait. */
const LOG_FLUSH_EVENTS = 1000;

type LogEvent = { timestamp: number; message: string };

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
 * gateway's moto link.
 */
export class LogShipper {
  private readonly client: CloudWatchLogsClient;
  private readonly pending = new Map<string, { group: string; stream: string; events: LogEvent[] }>();
  private readonly created = new Set<string>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private pendingEvents = 0;

  constructor(
    moto: MotoClientConfig,
    private readonly onError: (message: string) => void,
  ) {
    this.client = new CloudWatchLogsClient(moto);
  }

  add(functionName: string, stream: string, message: string): void {
    const group = `/aws/lambda/${functionName}`;
    const key = `${group}\u0000${stream}`;
    const batch = this.pending.get(key) ?? { group, stream, events: [] };
    batch.events.push({ timestamp: Date.now(), message });
    this.pending.set(key, batch);
    this.pendingEvents += 1;
    // Under load, ship as soon as a batch is worth a call, so big bodies never pile up in memory.
    if (this.pendingEvents >= LOG_FLUSH_EVENTS) this.flushSoon();
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
          await this.client.send(
            new PutLogEventsCommand({ logGroupName: batch.group, logStreamName: batch.stream, logEvents }),
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

  async deliver(queueName: string, record: InvocationRecord): Promise<void> {
    const functionName = functionNameFromArn(record.requestContext.functionArn);
    let QueueUrl = this.queueUrls.get(queueName);
    if (!QueueUrl) {
      QueueUrl = (await this.admin.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl ?? "";
      this.queueUrls.set(queueName, QueueUrl);
    }
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
