import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { EventValidationError, encodeS3Key, parseS3EventRecords } from "@lambdaform/shared";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import fc from "fast-check";
import { processSplitEvent } from "../src/process-uploads.ts";
import { putEvent, silentLogger } from "./fixtures.ts";

/** A record being broken on purpose: any field may be anything. */
// biome-ignore lint/suspicious/noExplicitAny: the fuzzer writes arbitrary shapes into records
type Loose = Record<string, any>;

/** One way to break a valid record: each a bad-input class issue #14 names. */
const breakages: Record<string, (record: Loose) => void> = {
  "missing key": (r) => {
    delete r.s3.object.key;
  },
  "key of the wrong type": (r) => {
    r.s3.object.key = 42;
  },
  "invalid percent-encoding": (r) => {
    r.s3.object.key = "uploads/bad%E0%A4%A.txt";
  },
  "huge key": (r) => {
    r.s3.object.key = `uploads/${"k".repeat(5000)}.txt`;
  },
  "null object": (r) => {
    r.s3.object = null;
  },
  "missing sequencer": (r) => {
    delete r.s3.object.sequencer;
  },
  "prototype keys": (r) => {
    Object.defineProperty(r.s3, "__proto__", { value: { object: { key: "x" } }, enumerable: true });
    delete r.s3.bucket;
  },
  "wrong event name": (r) => {
    r.eventName = "ObjectRemoved:Delete";
  },
};

const record = fc.record({
  key: fc.string({ minLength: 1, maxLength: 40 }).map((k) => `uploads/${k}.txt`),
  sequencer: fc.stringMatching(/^[0-9A-F]{8,20}$/),
  breakage: fc.option(fc.constantFrom(...Object.keys(breakages)), { freq: 2 }),
});

// issue #14: the processor takes arbitrary and almost-valid events without crashing.
describe("s3-processor under fuzzed input (fast-check; a failure prints its seed)", () => {
  let s3Mock: AwsClientStub<S3Client>;
  let dynamoMock: AwsClientStub<DynamoDBClient>;
  const deps = {
    s3: new S3Client({ region: "us-east-1" }),
    dynamodb: new DynamoDBClient({ region: "us-east-1" }),
    tableName: "T",
    concurrency: 4,
    now: () => new Date("2026-12-01T00:00:00Z"),
    logger: silentLogger,
  };

  before(() => {
    s3Mock = mockClient(S3Client);
    dynamoMock = mockClient(DynamoDBClient);
  });
  after(() => {
    s3Mock.restore();
    dynamoMock.restore();
  });

  it("answers arbitrary JSON with a validation error naming Records, or processes it; nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (input) => {
        let split: ReturnType<typeof parseS3EventRecords>;
        try {
          split = parseS3EventRecords(input);
        } catch (error) {
          expect(error).to.be.instanceOf(EventValidationError);
          expect((error as Error).message).to.match(/^Invalid S3 event: (Records|\(event\))/);
          return;
        }
        s3Mock.reset();
        dynamoMock.reset();
        s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1 });
        dynamoMock.on(PutItemCommand).resolves({});
        const result = await processSplitEvent(split, deps);
        expect(result.outcomes).to.have.length(split.records.length + split.invalid.length);
      }),
      { numRuns: 300 },
    );
  });

  it("processes every good record of a batch and names each bad one, never failing the batch", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 20 }), async (records) => {
        s3Mock.reset();
        dynamoMock.reset();
        s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 7 });
        dynamoMock.on(PutItemCommand).resolves({});
        const event = {
          Records: records.map((r, i) => {
            const built = putEvent("b", encodeS3Key(`${r.key}-${i}`), r.sequencer)
              .Records[0] as unknown as Loose;
            if (r.breakage) breakages[r.breakage]?.(built);
            return JSON.parse(JSON.stringify(built));
          }),
        };
        const result = await processSplitEvent(parseS3EventRecords(event), deps);
        const good = records.filter((r) => !r.breakage).length;
        expect(result.outcomes.filter((o) => o === "processed")).to.have.length(good);
        const rows = dynamoMock.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item);
        records.forEach((r, i) => {
          if (!r.breakage) return;
          expect(result.outcomes[i], `${r.breakage} at ${i}`).to.be.oneOf(["invalid", "skipped-invalid"]);
          const row = rows.find((item) => item?.reason?.S?.includes(`Records[${i}]`));
          if (result.outcomes[i] === "invalid")
            expect(row, `${r.breakage} at ${i} names its record`).to.not.equal(undefined);
        });
      }),
      { numRuns: 150 },
    );
  });
});
