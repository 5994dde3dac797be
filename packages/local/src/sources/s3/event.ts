import { createHash } from "node:crypto";
import { encodeS3Key } from "@lambdaform/shared";
import type { S3Event } from "aws-lambda";
import { LOCAL_REGION } from "../../identity.ts";
import { nextSequencer, randomToken } from "../ids.ts";

export interface S3PutOptions {
  readonly bucket: string;
  /** The object key as stored (the generator encodes it as S3 does in notifications). */
  readonly key: string;
  readonly size?: number;
  /** Hex MD5 of the content, without quotes. */
  readonly eTag?: string;
  /** Present when the bucket is versioned. */
  readonly versionId?: string;
  readonly sequencer?: string;
  readonly region?: string;
  readonly eventName?: string;
  readonly eventTime?: Date;
  readonly sourceIp?: string;
  readonly principalId?: string;
  readonly configurationId?: string;
}

/**
 * An S3 ObjectCreated notification event as S3 sends it: the key form-URL encoded (space → `+`,
 * `+` → `%2B`, `/` kept), a hexadecimal sequencer that increases, `versionId` only for versioned
 * buckets, and the bucket's real ARN.
 */
export function s3PutEvent(options: S3PutOptions): S3Event {
  const size = options.size ?? 0;
  const object: S3Event["Records"][number]["s3"]["object"] = {
    key: encodeS3Key(options.key),
    size,
    eTag: options.eTag ?? createHash("md5").update(options.key).digest("hex"),
    ...(options.versionId ? { versionId: options.versionId } : {}),
    sequencer: options.sequencer ?? nextSequencer(),
  };
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: options.region ?? LOCAL_REGION,
        eventTime: (options.eventTime ?? new Date()).toISOString(),
        eventName: options.eventName ?? "ObjectCreated:Put",
        userIdentity: { principalId: options.principalId ?? "AWS:AIDAJDPLRKLG7UEXAMPLE" },
        requestParameters: { sourceIPAddress: options.sourceIp ?? "127.0.0.1" },
        responseElements: {
          "x-amz-request-id": randomToken(16, "0123456789ABCDEF"),
          "x-amz-id-2": randomToken(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"),
        },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: options.configurationId ?? "uploads-txt",
          bucket: {
            name: options.bucket,
            ownerIdentity: { principalId: "A3NL1KOZZKExample" },
            arn: `arn:aws:s3:::${options.bucket}`,
          },
          object,
        },
      },
    ],
  };
}
