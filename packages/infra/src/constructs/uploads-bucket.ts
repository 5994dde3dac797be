import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "../cdktf.ts";
import { policyDocument } from "./policy.ts";

/** Where uploads land, and what of them reaches the processor. */
export const UPLOADS = { prefix: "uploads/", suffix: ".txt", events: ["s3:ObjectCreated:*"] } as const;

/**
 * The uploads bucket: all public access blocked, encrypted at rest (SSE-S3), versioned, and
 * reachable over TLS only.
 */
export class UploadsBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly namePrefix: string; readonly forceDestroy: boolean },
  ) {
    super(scope, id);
    // A prefix lets AWS make the globally unique name; the ARN then comes from the resource itself.
    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: props.namePrefix,
      forceDestroy: props.forceDestroy,
    });

    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    });

    new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });

    new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: policyDocument(this, "tls-only", [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          actions: ["s3:*"],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          principals: [{ type: "*", identifiers: ["*"] }],
          conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ]).json,
      // S3 rejects a policy write while the public access block is being changed.
      dependsOn: [publicAccess],
    });
  }
}
