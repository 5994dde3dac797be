import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import type { RuntimeEvent } from "../runtime/types.ts";
import type { ApiRequestMetric } from "../sources/api-gateway/server.ts";

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
