import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { MAX_S3_RECORDS, parseS3Event, parseS3EventRecords } from "@lambdaform/shared";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import sinon from "sinon";
import {
  MAX_ERROR_MESSAGE_BYTES,
  type ProcessUploadsDeps,
  processSplitEvent,
  processUploads,
  RecordProcessingError,
} from "../src/process-uploads.ts";
import { loadEvent, putEvent, silentLogger } from "./fixtures.ts";

const NOW = new Date("2026-11-27T10:20:00.000Z");
const LAST_MODIFIED = new Date("2026-11-27T10:15:30.000Z");

describe("processUploads", () => {
  // aws-sdk-client-mock patches the client prototype for the whole mocha run: create once, restore after.
  let s3Mock: AwsClientStub<S3Client>;
  let dynamoMock: AwsClientStub<DynamoDBClient>;
  const s3 = new S3Client({ region: "us-east-1" });
  const dynamodb = new DynamoDBClient({ region: "us-east-1" });
  const deps = (overrides: Partial<ProcessUploadsDeps> = {}): ProcessUploadsDeps => ({
    s3,
    dynamodb,
    tableName: "FileProcessingLog-test",
    concurrency: 4,
    now: () => NOW,
    logger: silentLogger,
    ...overrides,
  });
  const puts = () =>
    dynamoMock.commandCalls(PutItemCommand).map((call): PutItemCommandInput => call.args[0].input);

  before(() => {
    s3Mock = mockClient(S3Client);
    dynamoMock = mockClient(DynamoDBClient);
  });

  beforeEach(() => {
    s3Mock.reset();
    dynamoMock.reset();
    s3Mock.on(HeadObjectCommand).resolves({
      ContentLength: 1024,
      LastModified: LAST_MODIFIED,
      ETag: '"d41d8cd98f00b204e9800998ecf8427e"',
      ContentType: "text/plain",
      VersionId: "096fKKXTRTtl3on89fVO.nfljtsv6qko",
    });
    dynamoMock.on(PutItemCommand).resolves({});
  });

  after(() => {
    s3Mock.restore();
    dynamoMock.restore();
  });

  it("writes one row per uploaded object with the seed's fields and the event's details", async () => {
    // Act
    const result = await processUploads(parseS3Event(loadEvent("s3-put")), deps());
    // Assess
    expect(result).to.deep.include({ statusCode: 200, body: "Successfully processed 2 files" });
    const rows = puts().sort((a, b) =>
      String(a.Item?.file_key?.S).localeCompare(String(b.Item?.file_key?.S)),
    );
    expect(rows.map((r) => r.Item?.file_key?.S)).to.deep.equal([
      "uploads/my report+2024.txt",
      "uploads/日本語 café.txt",
    ]);
    expect(rows[0]?.Item).to.deep.include({
      bucket_name: { S: "lambdaform-dev-uploads" },
      file_size: { N: "1024" },
      processed_at: { S: NOW.toISOString() },
      last_modified: { S: LAST_MODIFIED.toISOString() },
      status: { S: "processed" },
      etag: { S: "d41d8cd98f00b204e9800998ecf8427e" },
      version_id: { S: "096fKKXTRTtl3on89fVO.nfljtsv6qko" },
      sequencer: { S: "0055AED6DCD90281E5" },
      content_type: { S: "text/plain" },
      event_name: { S: "ObjectCreated:Put" },
      event_time: { S: "2026-11-27T10:15:30.123Z" },
    });
    expect(rows[0]?.TableName).to.equal("FileProcessingLog-test");
    expect(rows[0]?.ConditionExpression).to.equal(
      "attribute_not_exists(file_key) OR sequencer_order < :order",
    );
  });

  it("asks for the event's object version when the record has one", async () => {
    await processUploads(parseS3Event(loadEvent("s3-put")), deps());
    const heads = s3Mock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input);
    expect(heads).to.deep.include({
      Bucket: "lambdaform-dev-uploads",
      Key: "uploads/my report+2024.txt",
      VersionId: "096fKKXTRTtl3on89fVO.nfljtsv6qko",
    });
    expect(heads).to.deep.include({
      Bucket: "lambdaform-dev-uploads",
      Key: "uploads/日本語 café.txt",
      VersionId: undefined,
    });
  });

  it("records a vanished object as missing and does not fail", async () => {
    // Prepare
    s3Mock
      .on(HeadObjectCommand)
      .rejects(new NotFound({ message: "Not Found", $metadata: { httpStatusCode: 404 } }));
    // Act
    const result = await processUploads(parseS3Event(putEvent("b", "uploads/gone.txt", "0A")), deps());
    // Assess
    expect(result.outcomes).to.deep.equal(["missing"]);
    expect(puts()[0]?.Item).to.deep.include({ status: { S: "missing" }, file_size: { N: "14" } });
  });

  it("skips a replayed or older event without failing", async () => {
    dynamoMock
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }),
      );
    const result = await processUploads(parseS3Event(putEvent("b", "uploads/a.txt", "0A")), deps());
    expect(result.outcomes).to.deep.equal(["skipped-stale"]);
  });

  it("attempts every record, then throws one error naming each failed key", async () => {
    // Prepare
    const event = loadEvent("s3-put");
    const third = structuredClone(event.Records[0]);
    if (!third) throw new Error("fixture");
    third.s3.object.key = "uploads/ok.txt";
    event.Records.push(third);
    const denied = new S3ServiceException({
      name: "AccessDenied",
      message: "Access Denied",
      $fault: "client",
      $metadata: {},
    });
    s3Mock.on(HeadObjectCommand, { Key: "uploads/my report+2024.txt" }).rejects(denied);
    dynamoMock
      .on(PutItemCommand, { Item: { file_key: { S: "uploads/日本語 café.txt" } } }, false)
      .rejects(new Error("ProvisionedThroughputExceeded"));
    // Act
    const failure = await processUploads(parseS3Event(event), deps()).then(
      () => expect.fail("expected a RecordProcessingError"),
      (error: unknown) => error,
    );
    // Assess
    expect(failure).to.be.instanceOf(RecordProcessingError);
    const message = (failure as Error).message;
    expect(message).to.match(/^2 of 3 records failed/);
    expect(message).to.contain('Records[0] "uploads/my+report%2B2024.txt": AccessDenied: Access Denied');
    expect(message).to.contain("Records[1]");
    expect(puts().map((p) => p.Item?.file_key?.S)).to.include("uploads/ok.txt");
  });

  it("records a key with a malformed escape as invalid, without failing the others", async () => {
    const event = loadEvent("s3-put");
    const first = event.Records[0];
    if (!first) throw new Error("fixture");
    first.s3.object.key = "uploads/bad%E6.txt";
    const result = await processUploads(parseS3Event(event), deps());
    expect(result.outcomes[0]).to.equal("invalid");
    expect(puts()[0]?.Item?.status?.S).to.equal("invalid");
  });

  it("never runs more records at once than its concurrency bound", async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    s3Mock.on(HeadObjectCommand).callsFake(async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return { ContentLength: 1, LastModified: LAST_MODIFIED };
    });
    const records = Array.from(
      { length: 12 },
      (_, i) => putEvent("b", `uploads/f${i}.txt`, `0${i}`).Records[0],
    );
    // Act
    const result = await processUploads(parseS3Event({ Records: records }), deps({ concurrency: 3 }));
    // Assess
    expect(result.body).to.equal("Successfully processed 12 files");
    expect(peak).to.equal(3);
  });

  describe("records that can never succeed", () => {
    it("writes a row with status invalid and the reason for a key that does not decode, or a record that does not validate, and goes on with the rest", async () => {
      // Prepare: a good record, a key with a broken % escape, a record without a sequencer, one naming no object.
      const good = putEvent("uploads-bucket", "uploads/good.txt", "0A1B2C3D4E5F60001").Records[0];
      const badKey = putEvent("uploads-bucket", "uploads/bad%E0%A4%A.txt", "0A1B2C3D4E5F60002").Records[0];
      const noSequencer = structuredClone(
        putEvent("uploads-bucket", "uploads/no-seq.txt", "0A").Records[0],
      ) as unknown as Record<string, { object: Record<string, unknown> }>;
      delete noSequencer.s3?.object.sequencer;
      const event = { Records: [good, badKey, noSequencer, { eventSource: "aws:s3" }] };
      // Act
      const result = await processSplitEvent(parseS3EventRecords(event), deps());
      // Assess
      expect(result.outcomes).to.deep.equal(["processed", "invalid", "invalid", "skipped-invalid"]);
      const rows = Object.fromEntries(puts().map((p) => [p.Item?.file_key?.S, p.Item]));
      expect(rows["uploads/good.txt"]?.status?.S).to.equal("processed");
      expect(rows["uploads/bad%E0%A4%A.txt"]).to.deep.include({ status: { S: "invalid" } });
      expect(rows["uploads/bad%E0%A4%A.txt"]?.reason?.S).to.equal(
        "Invalid S3 event: Records[1].s3.object.key: has a malformed % escape, so the object cannot be named",
      );
      expect(rows["uploads/no-seq.txt"]?.reason?.S).to.contain("Records[2].s3.object.sequencer");
      // An invalid row never replaces one already there.
      expect(puts().find((p) => p.Item?.status?.S === "invalid")?.ConditionExpression).to.equal(
        "attribute_not_exists(file_key)",
      );
    });

    it("refuses an event of more records than S3 sends, naming Records", () => {
      const many = {
        Records: Array.from({ length: MAX_S3_RECORDS + 1 }, () => putEvent("b", "k", "0A").Records[0]),
      };
      expect(() => parseS3EventRecords(many)).to.throw(/Records: expected at most 100 records/);
    });

    it("records a sequencer longer than it is compared at, or a key longer than S3 allows, as invalid instead of retrying", async () => {
      // Prepare: both would throw on every attempt (a RangeError, S3's KeyTooLongError).
      const longSequencer = putEvent("b", "uploads/long-sequencer.txt", "A".repeat(65)).Records[0];
      const longKey = putEvent("b", `uploads/${"k".repeat(1100)}.txt`, "0A").Records[0];
      // Act
      const result = await processSplitEvent(
        parseS3EventRecords({ Records: [longSequencer, longKey] }),
        deps(),
      );
      // Assess
      expect(result.outcomes).to.deep.equal(["invalid", "invalid"]);
      expect(s3Mock.commandCalls(HeadObjectCommand)).to.have.length(0);
      expect(puts().map((p) => [p.Item?.status?.S, p.Item?.reason?.S])).to.deep.equal([
        [
          "invalid",
          "Invalid S3 event: Records[0].s3.object.sequencer: is longer than the 64 digits sequencers are compared at",
        ],
        [
          "invalid",
          "Invalid S3 event: Records[1].s3.object.key: is longer than the 1024 bytes S3 allows, so no object has it",
        ],
      ]);
    });

    it("writes an invalid row for a record that names a key but no bucket (rows are keyed by file_key alone)", async () => {
      const record = putEvent("b", "uploads/no+bucket.txt", "0A").Records[0] as unknown as {
        s3: { bucket?: unknown };
      };
      delete record.s3.bucket;
      const result = await processSplitEvent(parseS3EventRecords({ Records: [record] }), deps());
      expect(result.outcomes).to.deep.equal(["invalid"]);
      const item = puts()[0]?.Item;
      expect(item).to.deep.include({ file_key: { S: "uploads/no bucket.txt" }, status: { S: "invalid" } });
      expect(item).to.not.have.property("bucket_name");
      expect(item?.reason?.S).to.contain("Records[0].s3.bucket");
    });

    it("logs, skips and counts a record no row can be keyed by: no key, or a key longer than a row key may be", async () => {
      // Prepare: a good record, one without a key, one whose key is over DynamoDB's 2,048 bytes.
      const logger = { info: sinon.spy(), warn: sinon.spy(), error: sinon.spy(), debug: sinon.spy() };
      const noKey = structuredClone(putEvent("b", "x", "0A").Records[0]) as unknown as {
        s3: { object: { key?: unknown } };
      };
      delete noKey.s3.object.key;
      const hugeKey = putEvent("b", `uploads/${"%E6%97%A5".repeat(700)}`, "0A").Records[0];
      const event = { Records: [putEvent("b", "uploads/good.txt", "0A").Records[0], noKey, hugeKey] };
      // Act
      const result = await processSplitEvent(
        parseS3EventRecords(event),
        deps({ logger: logger as unknown as ProcessUploadsDeps["logger"] }),
      );
      // Assess
      expect(result.outcomes).to.deep.equal(["processed", "skipped-invalid", "skipped-invalid"]);
      expect(result.counts).to.deep.equal({
        processed: 1,
        missing: 0,
        invalid: 0,
        "skipped-stale": 0,
        "skipped-invalid": 2,
      });
      expect(puts().map((p) => p.Item?.file_key?.S)).to.deep.equal(["uploads/good.txt"]);
      const skipped = logger.error.getCalls().map((c) => c.args);
      expect(skipped.map(([message, fields]) => [message, fields.record_index])).to.deep.equal([
        ["skipped a record that names no object", 1],
        ["skipped a record that names no object", 2],
      ]);
      expect(skipped[0]?.[1].reason).to.contain("Records[1].s3.object.key");
      expect(skipped[1]?.[1].reason).to.contain("Records[2].s3.object.key: is longer than the 1024 bytes");
      expect(JSON.stringify(skipped)).to.not.contain("日日日");
      expect(logger.info.calledWith("processed event", { records: 3, failed: 0, outcomes: result.counts })).to
        .be.true;
    });

    it("caps the error of 10,000 failing records in bytes, naming how many failed, well inside a dead letter", async () => {
      // Prepare: every write fails, with a message of three-byte characters (a cap in characters triples).
      dynamoMock.on(PutItemCommand).rejects(
        Object.assign(new Error(`スループット超過 ${"あ".repeat(600)}`), {
          name: "ProvisionedThroughputExceededException",
        }),
      );
      const records = Array.from(
        { length: 10_000 },
        (_, i) => putEvent("b", `uploads/${"日本語".repeat(60)}-${i}.txt`, "0A").Records[0],
      );
      // Act
      const error = await processUploads(parseS3Event({ Records: records }), deps({ concurrency: 64 })).then(
        () => expect.fail("expected a RecordProcessingError"),
        (e: unknown) => e as RecordProcessingError,
      );
      // Assess
      expect(error).to.be.instanceOf(RecordProcessingError);
      expect(error.failures).to.have.length(10_000);
      expect(Buffer.byteLength(error.message)).to.be.at.most(MAX_ERROR_MESSAGE_BYTES);
      expect(MAX_ERROR_MESSAGE_BYTES).to.be.at.most(16 * 1024);
      expect(error.message).to.match(/^10000 of 10000 records failed: Records\[0\] "uploads\/日本語/);
      const listed = error.message.split("; ").length - 1;
      expect(error.message).to.match(new RegExp(`; … and ${10_000 - listed} more$`));
      // What Lambda puts in the invocation record for the error: errorType, errorMessage, the stack trace.
      const responsePayload = JSON.stringify({
        errorType: error.name,
        errorMessage: error.message,
        trace: (error.stack ?? "").split("\n"),
      });
      expect(Buffer.byteLength(responsePayload)).to.be.below(3 * MAX_ERROR_MESSAGE_BYTES);
    });

    it("fits an event of the most records it takes, every one failing, with its error, in one dead letter (256 KiB)", async () => {
      // Prepare
      dynamoMock.on(PutItemCommand).rejects(new Error("ServiceUnavailable"));
      const event = {
        Records: Array.from({ length: MAX_S3_RECORDS }, (_, i) => {
          const [record] = loadEvent("s3-put").Records;
          if (!record) throw new Error("fixture");
          record.s3.object.key = `uploads/${"%E6%97%A5".repeat(20)}-${i}.txt`;
          return record;
        }),
      };
      // Act
      const error = await processSplitEvent(parseS3EventRecords(event), deps()).then(
        () => expect.fail("expected a RecordProcessingError"),
        (e: unknown) => e as RecordProcessingError,
      );
      // Assess: the asynchronous invocation record as Lambda sends it to an SQS on-failure destination.
      const invocationRecord = {
        version: "1.0",
        timestamp: NOW.toISOString(),
        requestContext: {
          requestId: "e0f2d0c8-7b7a-4c1e-9b55-3f1c0f0e2a11",
          functionArn: "arn:aws:lambda:us-east-1:123456789012:function:lambdaform-dev-s3-processor:$LATEST",
          condition: "RetriesExhausted",
          approximateInvokeCount: 3,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        responsePayload: {
          errorType: error.name,
          errorMessage: error.message,
          trace: error.stack?.split("\n"),
        },
      };
      expect(error.message).to.match(/^100 of 100 records failed/);
      expect(Buffer.byteLength(JSON.stringify(invocationRecord))).to.be.below(256 * 1024);
    });

    it("still fails the invocation for a transient error, so Lambda retries it", async () => {
      dynamoMock.on(PutItemCommand).rejects(new Error("ServiceUnavailable"));
      const error = await processSplitEvent(
        parseS3EventRecords(putEvent("b", "uploads/a.txt", "0A")),
        deps(),
      ).catch((e: Error) => e);
      expect(error).to.be.instanceOf(RecordProcessingError);
    });
  });
});
