import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { parseS3Event } from "@lambdaform/shared";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { type ProcessUploadsDeps, processUploads, RecordProcessingError } from "../src/process-uploads.ts";
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

  it("fails only the record whose key has a malformed escape", async () => {
    const event = loadEvent("s3-put");
    const first = event.Records[0];
    if (!first) throw new Error("fixture");
    first.s3.object.key = "uploads/bad%E6.txt";
    const failure = (await processUploads(parseS3Event(event), deps()).catch(
      (e: unknown) => e,
    )) as RecordProcessingError;
    expect(failure.failures.map((f) => [f.index, f.key, f.error.name])).to.deep.equal([
      [0, "uploads/bad%E6.txt", "URIError"],
    ]);
    expect(puts()).to.have.length(1);
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
});
