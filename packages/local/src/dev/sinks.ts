import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
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
import type { RuntimeEvent } from "../runtime/types.ts";
import type { ApiRequestMetric } from "../sources/api-gateway/server.ts";
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
 * gateway's moto link. Every line of every invocation comes through here (four for the smallest),
 * so adding one is a push, and PutLogEvents' body is written by JSON.stringify, not the SDK.
 */
export class LogShipper {
  private readonly client: CloudWatchLogsClient;
  /** Lines waiting, by log stream (one per execution environment, so one function's). */
  private readonly pending = new Map<string, { group: string; stream: string; events: LogEvent[] }>();
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
      batch = { group, stream, events: [] };
      this.pending.set(key, batch);
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

/** PutMetricData takes up to 1000 data points a call. */
const MAX_METRIC_DATA = 1000;
/** Lambda sends its metrics to CloudWatch about once a minute; locally, every few seconds. */
export const METRIC_FLUSH_INTERVAL_MS = 5000;

/** Metrics measured in milliseconds; every other one here is a count. */
const MILLISECOND_METRICS: ReadonlySet<string> = new Set([
  "Duration",
  "AsyncEventAge",
  "Latency",
  "IntegrationLatency",
]);
/** Counts published as a sum per period; the others are read by their statistics (Maximum, p99). */
const SUMMED_METRICS: ReadonlySet<string> = new Set([
  "Invocations",
  "Errors",
  "Throttles",
  "AsyncEventsReceived",
  "AsyncEventsDropped",
  "DestinationDeliveryFailures",
  "Count",
  "4XXError",
  "5XXError",
]);

interface MetricPoint {
  readonly namespace: string;
  readonly dimensions: ReadonlyArray<{ Name: string; Value: string }>;
  readonly metric: string;
  readonly at: number;
  sum: number;
  count: number;
  min: number;
  max: number;
}

/**
 * The metrics AWS services publish about the stack, in CloudWatch in moto, as the services write
 * them:
 * - `AWS/Lambda` (dimension `FunctionName`): `Invocations`, `Errors`, `Throttles`, `Duration`,
 *   `ConcurrentExecutions`, and for asynchronous invocations `AsyncEventsReceived`,
 *   `AsyncEventAge`, `AsyncEventsDropped` and `DestinationDeliveryFailures`, from the runtimes'
 *   `onEvent`;
 * - `AWS/ApiGateway` (dimensions `ApiName`, and `ApiName` with `Stage`): `Count`, `4XXError`,
 *   `5XXError`, `Latency` and `IntegrationLatency`, from the API's requests.
 * Aggregated per metric, dimensions and second (counts summed; durations, ages, latencies and
 * concurrency as statistic sets: sample count, sum, minimum, maximum) and sent every few seconds, in
 * one PutMetricData per namespace and 1,000 data points, never one call per invocation or request,
 * straight through the gateway's moto link.
 */
export class LambdaMetrics {
  private readonly client: CloudWatchClient;
  private pending = new Map<string, MetricPoint>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    moto: MotoClientConfig,
    private readonly onError: (message: string) => void,
    client?: CloudWatchClient,
  ) {
    this.client = client ?? new CloudWatchClient(moto);
  }

  /** Takes a runtime's event: metric data points are kept, everything else is ignored. */
  add(event: RuntimeEvent): void {
    if (event.type !== "metric") return;
    this.record("AWS/Lambda", [{ Name: "FunctionName", Value: event.functionName }], event.metric, {
      value: event.value,
      timestamp: event.timestamp,
    });
  }

  /** Takes one API request: counted under the API and under its stage, as API Gateway does. */
  addApiRequest(request: ApiRequestMetric): void {
    const byApi = [{ Name: "ApiName", Value: request.apiName }];
    const byStage = [...byApi, { Name: "Stage", Value: request.stage }];
    const { timestamp } = request;
    for (const dimensions of [byApi, byStage]) {
      this.record("AWS/ApiGateway", dimensions, "Count", { value: 1, timestamp });
      this.record("AWS/ApiGateway", dimensions, "4XXError", {
        value: request.status >= 400 && request.status < 500 ? 1 : 0,
        timestamp,
      });
      this.record("AWS/ApiGateway", dimensions, "5XXError", {
        value: request.status >= 500 ? 1 : 0,
        timestamp,
      });
      this.record("AWS/ApiGateway", dimensions, "Latency", { value: request.latencyMs, timestamp });
      if (request.integrationLatencyMs !== undefined)
        this.record("AWS/ApiGateway", dimensions, "IntegrationLatency", {
          value: request.integrationLatencyMs,
          timestamp,
        });
    }
  }

  private record(
    namespace: string,
    dimensions: ReadonlyArray<{ Name: string; Value: string }>,
    metric: string,
    { value, timestamp }: { readonly value: number; readonly timestamp: Date },
  ): void {
    const at = Math.floor(timestamp.getTime() / 1000) * 1000;
    let key = `${namespace}\u0000${metric}\u0000${at}`;
    for (const d of dimensions) key += `\u0000${d.Value}`;
    let point = this.pending.get(key);
    if (!point) {
      point = { namespace, dimensions, metric, at, sum: 0, count: 0, min: value, max: value };
      this.pending.set(key, point);
    }
    point.sum += value;
    point.count += 1;
    point.min = Math.min(point.min, value);
    point.max = Math.max(point.max, value);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, METRIC_FLUSH_INTERVAL_MS);
  }

  /** Sends what is waiting now. */
  async flush(): Promise<void> {
    const byNamespace = new Map<string, MetricDatum[]>();
    for (const p of this.pending.values()) {
      const datum: MetricDatum = {
        MetricName: p.metric,
        Dimensions: [...p.dimensions],
        Timestamp: new Date(p.at),
        Unit: MILLISECOND_METRICS.has(p.metric) ? "Milliseconds" : "Count",
        ...(SUMMED_METRICS.has(p.metric)
          ? { Value: p.sum }
          : { StatisticValues: { SampleCount: p.count, Sum: p.sum, Minimum: p.min, Maximum: p.max } }),
      };
      const list = byNamespace.get(p.namespace) ?? [];
      list.push(datum);
      byNamespace.set(p.namespace, list);
    }
    this.pending = new Map();
    for (const [Namespace, data] of byNamespace)
      for (let i = 0; i < data.length; i += MAX_METRIC_DATA) {
        try {
          await this.client.send(
            new PutMetricDataCommand({ Namespace, MetricData: data.slice(i, i + MAX_METRIC_DATA) }),
          );
        } catch (error) {
          this.onError(`could not write ${Namespace} metrics to CloudWatch: ${(error as Error).message}`);
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
