import type { IncomingHttpHeaders } from "node:http";
import {
  GetBucketNotificationConfigurationCommand,
  HeadObjectCommand,
  type LambdaFunctionConfiguration,
  S3Client,
} from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import type { S3Target } from "../../gateway/classify.ts";
import type { Faults, S3Delivery } from "../../gateway/faults.ts";
import type { MotoLink } from "../../gateway/moto-link.ts";
import type { Routing } from "../../gateway/routing.ts";
import type { Reply } from "../../http/reply.ts";
import { functionNameFromArn } from "../../identity.ts";
import { nextSequencer } from "../ids.ts";
import { s3PutEvent } from "./event.ts";

/** Matches S3's literal prefix/suffix filters and event types, as S3 evaluates them. */
export function notificationMatches(
  config: LambdaFunctionConfiguration,
  eventName: string,
  key: string,
): boolean {
  const eventOk = (config.Events ?? []).some((e) => {
    const wanted = e.replace(/^s3:/, "");
    return wanted === eventName || (wanted.endsWith(":*") && eventName.startsWith(wanted.slice(0, -1)));
  });
  if (!eventOk) return false;
  for (const rule of config.Filter?.Key?.FilterRules ?? []) {
    const value = rule.Value ?? "";
    const name = String(rule.Name ?? "").toLowerCase();
    if (name === "prefix" && !key.startsWith(value)) return false;
    if (name === "suffix" && !key.endsWith(value)) return false;
  }
  return true;
}

/** What an S3 event record says of the object written. */
type ObjectFacts = { size: number; eTag: string; versionId?: string };
const unquote = (eTag: string) => eTag.replace(/"/g, "");

/** An object write moto acknowledged: what the client sent and what moto answered. */
export interface ObjectWrite {
  readonly target: S3Target & { readonly key: string; readonly write: NonNullable<S3Target["write"]> };
  readonly request: { readonly headers: IncomingHttpHeaders; readonly body: Buffer };
  readonly reply: Reply;
  /** Who wrote it (`userIdentity.principalId` is `AWS:<access key id>`). */
  readonly accessKeyId: string;
}

/** One event for one function, waiting to be delivered (under the S3 delivery fault). */
interface HeldEvent {
  readonly functionName: string;
  readonly event: S3Event;
  readonly sequencer: string;
}

/**
 * The S3 event source: turns object writes into S3 event notifications, following the bucket's
 * notification configuration, each an asynchronous invocation with a faithful record. The
 * configuration is read from moto once per bucket and cached until a call changes it.
 */
export class S3Notifier {
  private readonly cache = new Map<string, LambdaFunctionConfiguration[]>();
  private readonly s3: S3Client;
  /** Events held per bucket and key under the S3 delivery fault, delivered newest first. */
  private readonly held = new Map<string, HeldEvent[]>();

  constructor(
    moto: MotoLink,
    private readonly log: (line: string) => void,
    private readonly faults?: Faults,
  ) {
    this.s3 = new S3Client(moto.clientConfig());
  }

  /** Drops the cached notification configuration of a bucket (after a call changed it). */
  forgetBucket(bucket: string): void {
    this.cache.delete(bucket);
  }

  /**
   * Sends the notifications of an acknowledged write to the functions of what is deployed when they
   * go out (`current`): a redeploy in between closes the runtime the write came in on once its
   * invocations finish. Settles once every event is queued (the gateway answers the write only
   * then, so an acknowledged write's events are as durable as the runtime's event queue); never
   * rejects. The sequencer is drawn now, in the order moto acknowledged the writes.
   */
  async objectWritten(write: ObjectWrite, current: () => Routing): Promise<void> {
    const sequencer = nextSequencer();
    try {
      await this.notify(write, sequencer, current);
    } catch (error) {
      this.log(`S3 notification for ${write.target.key} failed: ${(error as Error).message}`);
    }
  }

  private async notify(write: ObjectWrite, sequencer: string, current: () => Routing): Promise<void> {
    const { bucket, key } = write.target;
    const eventName = `ObjectCreated:${write.target.write}`;
    const configs = (await this.notifications(bucket)).filter((c) => notificationMatches(c, eventName, key));
    if (configs.length === 0) return;
    const object = await this.describe(write);
    const routing = current();
    for (const config of configs) {
      const event = s3PutEvent({
        bucket,
        key,
        size: object.size,
        eTag: object.eTag,
        versionId: object.versionId,
        sequencer,
        region: routing.deployed.region,
        eventName,
        principalId: `AWS:${write.accessKeyId}`,
        configurationId: config.Id,
      });
      const functionName = functionNameFromArn(String(config.LambdaFunctionArn ?? ""));
      const delivery = this.faults?.current.s3Delivery;
      if (delivery) this.hold(`${bucket}/${key}`, { functionName, event, sequencer }, delivery, current);
      else routing.runtime.function(functionName).invokeAsync(event);
    }
  }

  /**
   * The S3 delivery fault: holds an event, then delivers the key's held events newest first, each
   * `copies` times. Held events live in memory only (this is a fault, not the event queue).
   */
  private hold(at: string, held: HeldEvent, delivery: S3Delivery, current: () => Routing): void {
    this.faults?.s3Event(at, held.sequencer);
    const counters = this.faults?.counters;
    const waiting = this.held.get(at);
    if (waiting) {
      waiting.push(held);
      return;
    }
    this.held.set(at, [held]);
    setTimeout(() => {
      const events = this.held.get(at) ?? [];
      this.held.delete(at);
      events.sort((a, b) => (a.sequencer < b.sequencer ? 1 : a.sequencer > b.sequencer ? -1 : 0));
      const routing = current();
      for (const e of events)
        for (let copy = 0; copy < delivery.copies; copy++) {
          if (counters) counters.s3Deliveries += 1;
          try {
            routing.runtime.function(e.functionName).invokeAsync(e.event);
          } catch (error) {
            this.log(`S3 notification for ${at} failed: ${(error as Error).message}`);
          }
        }
    }, delivery.holdMs).unref();
  }

  /**
   * The object's size, ETag and version. A PutObject's request and answer say all the event needs
   * (aws-chunked uploads declare their decoded length); copies and multipart completions are looked
   * up with HeadObject.
   */
  private async describe({ target, request, reply }: ObjectWrite): Promise<ObjectFacts> {
    const header = (name: string) => {
      const value = reply.headers[name];
      return typeof value === "string" && value !== "null" ? value : undefined;
    };
    const declared = request.headers["x-amz-decoded-content-length"];
    const chunked = String(request.headers["content-encoding"] ?? "").includes("aws-chunked");
    const size = typeof declared === "string" ? Number(declared) : chunked ? undefined : request.body.length;
    const eTag = header("etag");
    const versionId = header("x-amz-version-id");
    if (target.write === "Put" && size !== undefined && eTag) return { size, eTag: unquote(eTag), versionId };
    const head = await this.s3.send(
      new HeadObjectCommand({ Bucket: target.bucket, Key: target.key, VersionId: versionId }),
    );
    return {
      size: head.ContentLength ?? 0,
      eTag: unquote(head.ETag ?? ""),
      versionId: head.VersionId && head.VersionId !== "null" ? head.VersionId : undefined,
    };
  }

  private async notifications(bucket: string): Promise<LambdaFunctionConfiguration[]> {
    const cached = this.cache.get(bucket);
    if (cached) return cached;
    const config = await this.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    const list = config.LambdaFunctionConfigurations ?? [];
    this.cache.set(bucket, list);
    return list;
  }
}
