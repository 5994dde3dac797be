import type { IncomingHttpHeaders } from "node:http";
import {
  GetBucketNotificationConfigurationCommand,
  HeadObjectCommand,
  type LambdaFunctionConfiguration,
  S3Client,
} from "@aws-sdk/client-s3";
import type { S3Target } from "../../gateway/classify.ts";
import type { MotoLink } from "../../gateway/moto-link.ts";
import type { Routing } from "../../gateway/routing.ts";
import type { Reply } from "../../http/reply.ts";
import { functionNameFromArn } from "../../identity.ts";
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

/**
 * The S3 event source: turns object writes into S3 event notifications, following the bucket's
 * notification configuration, each an asynchronous invocation with a faithful record. The
 * configuration is read from moto once per bucket and cached until a call changes it.
 */
export class S3Notifier {
  private readonly cache = new Map<string, LambdaFunctionConfiguration[]>();
  private readonly s3: S3Client;

  constructor(
    moto: MotoLink,
    private readonly log: (line: string) => void,
  ) {
    this.s3 = new S3Client(moto.clientConfig());
  }

  /** Drops the cached notification configuration of a bucket (after a call changed it). */
  forgetBucket(bucket: string): void {
    this.cache.delete(bucket);
  }

  /**
   * Sends the notifications of an acknowledged write, in the background, to the functions of what
   * is deployed when they go out (`current`): a redeploy in between closes the runtime the write
   * came in on once its invocations finish, and this one had not started yet.
   */
  objectWritten(write: ObjectWrite, current: () => Routing): void {
    this.notify(write, current).catch((error: Error) =>
      this.log(`S3 notification for ${write.target.key} failed: ${error.message}`),
    );
  }

  private async notify(write: ObjectWrite, current: () => Routing): Promise<void> {
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
        region: routing.deployed.region,
        eventName,
        principalId: `AWS:${write.accessKeyId}`,
        configurationId: config.Id,
      });
      routing.runtime
        .function(functionNameFromArn(String(config.LambdaFunctionArn ?? "")))
        .invokeAsync(event);
    }
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
