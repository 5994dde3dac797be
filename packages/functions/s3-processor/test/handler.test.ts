import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { encodeS3Key } from "@lambdaform/shared";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import type { Context } from "aws-lambda";
import { expect } from "chai";
import { putEvent } from "./fixtures.ts";

const TABLE = "FileProcessingLog-test";
const BUCKET = "lambdaform-test-uploads";
const context = { awsRequestId: "req-1", functionName: "s3-processor" } as Context;
async function createTable(dynamodb: DynamoDBClient): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "file_key", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "file_key", AttributeType: "S" }],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 20, minDelay: 1 }, { TableName: TABLE });
}

type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;

// Runs the source handler and the built bundle that ships against a real S3 and DynamoDB (moto).
describe("s3-processor against moto", function () {
  this.timeout(60_000);
  let suite: MotoSuite | undefined;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;

  before(async function () {
    suite = await motoForSuite(this, { TABLE_NAME: TABLE });
    s3 = new S3Client({});
    dynamodb = new DynamoDBClient({});
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }),
    );
    await createTable(dynamodb);
  });

  after(async () => suite?.stop());

  const row = async (key: string) =>
    (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { file_key: { S: key } } }))).Item;

  for (const [label, url] of [
    ["source", new URL("../src/handler.ts", import.meta.url)],
    ["bundle", new URL("../dist/index.mjs", import.meta.url)],
  ] as const) {
    describe(`the ${label} handler`, () => {
      let handler: Handler;
      const key = (name: string) => `uploads/${label}/${name}`;

      before(async () => {
        ({ handler } = await import(`${url.href}?case=${label}`));
      });

      it("writes a row for an upload whose name has spaces, a plus and unicode", async () => {
        // Prepare
        const name = key("my report+2024 日本語.txt");
        const put = await s3.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: name, Body: "Hello Lambda!\n" }),
        );
        // Act
        const result = await handler(putEvent(BUCKET, encodeS3Key(name), "0A", 14), context);
        // Assess
        expect(result).to.deep.equal({ statusCode: 200, body: "Successfully processed 1 files" });
        const item = await row(name);
        expect(item).to.deep.include({
          file_key: { S: name },
          bucket_name: { S: BUCKET },
          file_size: { N: "14" },
          status: { S: "processed" },
          version_id: { S: put.VersionId ?? "missing-version" },
          content_type: { S: "application/octet-stream" },
        });
      });

      it("neither duplicates nor overwrites on a replay or an older event, and takes a newer one", async () => {
        // Prepare
        const name = key("replayed.txt");
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: name, Body: "v1" }));
        await handler(putEvent(BUCKET, encodeS3Key(name), "0055AED6DCD90281E5"), context);
        const first = await row(name);
        // Act: the same event again, then an older one (shorter sequencer that sorts lower once padded).
        await handler(putEvent(BUCKET, encodeS3Key(name), "0055AED6DCD90281E5"), context);
        await handler(putEvent(BUCKET, encodeS3Key(name), "0055AED6DCD90281E4FF"), context);
        const afterStale = await row(name);
        await handler(putEvent(BUCKET, encodeS3Key(name), "0055AED6DCD90281E501"), context);
        const afterNewer = await row(name);
        // Assess
        expect(afterStale).to.deep.equal(first);
        expect(afterNewer?.sequencer).to.deep.equal({ S: "0055AED6DCD90281E501" });
        const rows = await dynamodb.send(new ScanCommand({ TableName: TABLE }));
        expect(rows.Items?.filter((i) => i.file_key?.S === name)).to.have.length(1);
      });

      it("records an object that no longer exists as missing, without failing", async () => {
        const name = key("deleted-before-processing.txt");
        const result = await handler(putEvent(BUCKET, encodeS3Key(name), "0A", 99), context);
        expect(result.statusCode).to.equal(200);
        expect(await row(name)).to.deep.include({ status: { S: "missing" }, file_size: { N: "99" } });
      });

      it("throws a validation error naming Records for an event that is not an S3 event", async () => {
        const error = await handler({ Records: "not a list" }, context).catch((e: Error) => e);
        expect(error).to.have.property("name", "EventValidationError");
        expect((error as Error).message).to.contain("Records");
      });

      it("records a key that does not decode as an invalid row with the reason, in moto, instead of retrying", async () => {
        // Act
        const result = await handler(putEvent(BUCKET, "uploads/bad%E6.txt", "0A"), context);
        // Assess
        expect(result.statusCode).to.equal(200);
        const item = await row("uploads/bad%E6.txt");
        expect(item?.status?.S).to.equal("invalid");
        expect(item?.reason?.S).to.contain("malformed % escape");
      });

      it("skips a record that names no object, without failing the others", async () => {
        const event = putEvent(BUCKET, "uploads/x.txt", "0A");
        (event.Records[0] as unknown as { s3: { object: { key: unknown } } }).s3.object.key = null;
        const result = await handler(event, context);
        expect(result.statusCode).to.equal(200);
      });

      it("refuses an event of more records than S3 sends, naming Records, before touching anything", async () => {
        // Prepare: S3 notifications carry one record; 101 is a hand-made event.
        const name = key("one-of-too-many.txt");
        const records = Array.from(
          { length: 101 },
          () => putEvent(BUCKET, encodeS3Key(name), "0A").Records[0],
        );
        // Act
        const error = await handler({ Records: records }, context).catch((e: Error) => e);
        // Assess
        expect(error).to.have.property("name", "EventValidationError");
        expect((error as Error).message).to.equal(
          "Invalid S3 event: Records: expected at most 100 records (S3 sends one per event)",
        );
        expect(await row(name)).to.equal(undefined);
      });

      it("answers 200 for records that can never succeed: invalid rows for a long sequencer or key, a key no row can have skipped", async () => {
        // Prepare: each of these threw on every attempt (RangeError, S3's or DynamoDB's key limits).
        const longSequencer = key("long-sequencer.txt");
        const longKey = key(`${"k".repeat(1500)}.txt`);
        const event = {
          Records: [
            putEvent(BUCKET, encodeS3Key(longSequencer), "A".repeat(65)).Records[0],
            putEvent(BUCKET, encodeS3Key(longKey), "0A").Records[0],
            putEvent(BUCKET, encodeS3Key(key("k".repeat(2100))), "0A").Records[0],
          ],
        };
        // Act
        const result = await handler(event, context);
        // Assess
        expect(result).to.deep.equal({ statusCode: 200, body: "Successfully processed 3 files" });
        expect((await row(longSequencer))?.reason?.S).to.contain("Records[0].s3.object.sequencer");
        expect((await row(longKey))?.reason?.S).to.contain("Records[1].s3.object.key: is longer than");
      });

      it("throws naming the failed key when DynamoDB refuses the write", async () => {
        // Prepare: the table disappears under the function.
        const name = key("table-gone.txt");
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: name, Body: "x" }));
        await dynamodb.send(new DeleteTableCommand({ TableName: TABLE }));
        try {
          // Act
          const error = await handler(putEvent(BUCKET, encodeS3Key(name), "0A"), context).catch(
            (e: Error) => e,
          );
          // Assess
          expect(error).to.have.property("name", "RecordProcessingError");
          expect((error as Error).message).to.match(
            /^1 of 1 records failed: Records\[0\] ".*table-gone.txt": ResourceNotFoundException/,
          );
        } finally {
          await createTable(dynamodb);
        }
      });
    });
  }
});
