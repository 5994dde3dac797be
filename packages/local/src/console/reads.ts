/**
 * What the console reads from the local AWS (moto) and writes to it: the bucket's objects and an
 * upload, a page of table rows, the last hour's metrics and the alarms. Reads go to moto as the
 * admin; the upload goes through the gateway, so S3's notification runs the processor as on AWS.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  type AttributeValue,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { MotoClientConfig } from "../gateway/moto-link.ts";
import { ADMIN_CREDENTIALS } from "../identity.ts";
import type { DurationWindow } from "./window.ts";

/** Bad input to a console call: answered 400, naming the field. */
export class ConsoleInputError extends Error {
  override readonly name = "ConsoleInputError";
}

/** S3's own limit on a key: 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

export interface ObjectsPage {
  readonly bucket: string;
  readonly objects: ReadonlyArray<{ key: string; size: number; lastModified?: string }>;
  readonly nextToken?: string;
}

export interface RowsPage {
  readonly table: string;
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  readonly nextToken?: string;
}

export interface Series {
  readonly label: string;
  readonly points: ReadonlyArray<{ time: number; value: number }>;
}

/** An attribute value as plain JSON (`{S: "a"}` → "a", `{N: "1"}` → 1, maps and lists inside out). */
export function plain(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined)
    return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, plain(v)]));
  if (value.L !== undefined) return value.L.map(plain);
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return `<${value.B.length} bytes>`;
  return value;
}

/** A DynamoDB page key as the token the console hands out, and back. */
export function rowsToken(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

const BAD_TOKEN = "token: not a page token of this table (pass the nextToken of the page before)";

/** A key attribute's value, `{"S": "…"}` or `{"N": "…"}` (a binary key would not survive the token's JSON). */
const isKeyValue = (value: unknown) => {
  if (typeof value !== "object" || value === null) return false;
  const entries = Object.entries(value);
  return (
    entries.length === 1 && ["S", "N"].includes(entries[0]?.[0] ?? "") && typeof entries[0]?.[1] === "string"
  );
};

/** A page token back to a key: a JSON object of `{S}` or `{N}` values, as DynamoDB hands one out. */
export function fromRowsToken(token: string): Record<string, AttributeValue> {
  try {
    const key = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (
      typeof key === "object" &&
      key !== null &&
      !Array.isArray(key) &&
      Object.keys(key).length > 0 &&
      Object.values(key).every(isKeyValue)
    )
      return key as Record<string, AttributeValue>;
  } catch {
    // answered below
  }
  throw new ConsoleInputError(BAD_TOKEN);
}

/**
 * Whether a key is of the table (`keys`: its key attributes, name → S or N): exactly those
 * attributes, each of its type. moto fails a scan from any other key with an internal error
 * rather than DynamoDB's ValidationException, so it is checked here.
 */
export function isKeyOf(key: Record<string, AttributeValue>, keys: ReadonlyMap<string, string>): boolean {
  const entries = Object.entries(key);
  return (
    entries.length === keys.size && entries.every(([name, value]) => keys.get(name) === Object.keys(value)[0])
  );
}

/** CloudWatch's comparison operators, as a reader writes them. */
const COMPARISONS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: "≥",
  GreaterThanThreshold: ">",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "≤",
};

/** The reads and the upload, against one region of the local AWS. */
export class ConsoleReads {
  private readonly s3: S3Client;
  private readonly dynamodb: DynamoDBClient;
  private readonly cloudwatch: CloudWatchClient;
  private uploader?: S3Client;
  private readonly keys = new Map<string, ReadonlyMap<string, string>>();

  constructor(
    private readonly moto: MotoClientConfig,
    private readonly gatewayEndpoint: () => string,
  ) {
    this.s3 = new S3Client(moto);
    this.dynamodb = new DynamoDBClient(moto);
    this.cloudwatch = new CloudWatchClient(moto);
  }

  async objects(bucket: string, token?: string): Promise<ObjectsPage> {
    const page = await this.s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        MaxKeys: 100,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    return {
      bucket,
      objects: (page.Contents ?? []).map((o) => ({
        key: o.Key ?? "",
        size: o.Size ?? 0,
        ...(o.LastModified ? { lastModified: o.LastModified.toISOString() } : {}),
      })),
      ...(page.NextContinuationToken ? { nextToken: page.NextContinuationToken } : {}),
    };
  }

  /** Uploads through the gateway as the admin (as `aws s3 cp` would), so the bucket's notification fires. */
  async upload(
    bucket: string,
    body: Record<string, unknown>,
  ): Promise<{ bucket: string; key: string; size: number }> {
    const { key, contentBase64, contentType } = body;
    if (typeof key !== "string" || key === "")
      throw new ConsoleInputError("key: the object's key is required (a non-empty string)");
    if (Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw new ConsoleInputError(`key: over S3's ${MAX_KEY_BYTES} bytes`);
    if (typeof contentBase64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(contentBase64))
      throw new ConsoleInputError("contentBase64: the file's bytes in base64 are required");
    if (contentType !== undefined && typeof contentType !== "string")
      throw new ConsoleInputError("contentType: must be a string");
    const bytes = Buffer.from(contentBase64, "base64");
    this.uploader ??= new S3Client({
      endpoint: this.gatewayEndpoint(),
      region: this.moto.region,
      credentials: ADMIN_CREDENTIALS,
      forcePathStyle: true,
    });
    await this.uploader.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: bytes,
        ContentType: contentType || "application/octet-stream",
      }),
    );
    return { bucket, key, size: bytes.length };
  }

  async rows(table: string, token?: string): Promise<RowsPage> {
    const start = token ? fromRowsToken(token) : undefined;
    if (start && !isKeyOf(start, await this.keyOf(table))) throw new ConsoleInputError(BAD_TOKEN);
    const page = await this.dynamodb.send(
      new ScanCommand({ TableName: table, Limit: 25, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    return {
      table,
      rows: (page.Items ?? []).map((item) =>
        Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plain(v)])),
      ),
      ...(page.LastEvaluatedKey ? { nextToken: rowsToken(page.LastEvaluatedKey) } : {}),
    };
  }

  /** A table's key attributes and their types (name → S or N), asked of the table once. */
  private async keyOf(table: string): Promise<ReadonlyMap<string, string>> {
    let key = this.keys.get(table);
    if (!key) {
      const { Table } = await this.dynamodb.send(new DescribeTableCommand({ TableName: table }));
      const types = new Map(
        (Table?.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]),
      );
      key = new Map(
        (Table?.KeySchema ?? []).map((k) => [k.AttributeName ?? "", types.get(k.AttributeName) ?? ""]),
      );
      this.keys.set(table, key);
    }
    return key;
  }

  /** One metric's statistic per minute over the last hour, oldest first. */
  async series(
    namespace: string,
    metricName: string,
    statistic: "Sum" | "Maximum" | "Average",
    dimensions: Record<string, string>,
    now = new Date(),
  ): Promise<Series["points"]> {
    const answer = await this.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
        StartTime: new Date(now.getTime() - 3_600_000),
        EndTime: now,
        Period: 60,
        Statistics: [statistic],
      }),
    );
    return (answer.Datapoints ?? [])
      .map((d) => ({ time: d.Timestamp?.getTime() ?? 0, value: Number(d[statistic] ?? 0) }))
      .sort((a, b) => a.time - b.time);
  }

  /** The Metrics section: RunningInstances, and per function its counts and duration percentiles. */
  async metrics(functions: ReadonlyArray<string>, durations: DurationWindow) {
    const now = new Date();
    const running = await this.series("Custom/EC2", "RunningInstances", "Maximum", {}, now);
    const perFunction = await Promise.all(
      functions.map(async (name) => {
        const dims = { FunctionName: name };
        const [invocations, errors, throttles] = await Promise.all(
          (["Invocations", "Errors", "Throttles"] as const).map((metric) =>
            this.series("AWS/Lambda", metric, "Sum", dims, now),
          ),
        );
        return { name, invocations, errors, throttles, duration: durations.percentiles(name, now.getTime()) };
      }),
    );
    return {
      from: now.getTime() - 3_600_000,
      to: now.getTime(),
      periodSeconds: 60,
      running,
      functions: perFunction,
    };
  }

  async alarms(names: ReadonlyArray<string>) {
    if (names.length === 0) return [];
    const answer = await this.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...names] }));
    return (answer.MetricAlarms ?? []).map((a) => ({
      name: a.AlarmName ?? "",
      state: a.StateValue ?? "INSUFFICIENT_DATA",
      reason: a.StateReason ?? "",
      updated: a.StateUpdatedTimestamp?.toISOString(),
      metric: `${a.Namespace} ${a.MetricName}`,
      condition: `${a.Statistic} ${COMPARISONS[a.ComparisonOperator ?? ""] ?? a.ComparisonOperator} ${a.Threshold} for ${a.EvaluationPeriods} × ${a.Period} s`,
    }));
  }
}
