import { decodeS3Key } from "@lambdaform/shared";
import { expect } from "chai";
import { nextSequencer } from "../../../../src/sources/ids.ts";
import { s3PutEvent } from "../../../../src/sources/s3/event.ts";
import { golden, shape } from "../../../golden.ts";

describe("S3 Put event (golden: AWS's documented shape)", () => {
  it("has the documented structure", () => {
    const event = s3PutEvent({ bucket: "b", key: "uploads/a.txt", size: 3, versionId: "v1" });
    expect(shape(event)).to.deep.equal(shape(golden("s3-put")));
  });

  it("form-URL encodes the key: space → +, + → %2B, / kept, unicode percent-encoded", () => {
    const key = "uploads/my report+2024/日本語 café.txt";
    const encoded = s3PutEvent({ bucket: "b", key }).Records[0]?.s3.object.key;
    expect(encoded).to.equal("uploads/my+report%2B2024/%E6%97%A5%E6%9C%AC%E8%AA%9E+caf%C3%A9.txt");
    expect(decodeS3Key(encoded ?? "")).to.equal(key);
  });

  it("gives hexadecimal sequencers that increase, even within one millisecond", () => {
    const sequencers = Array.from({ length: 50 }, () => nextSequencer(1_800_000_000_000));
    for (const s of sequencers) expect(s).to.match(/^[0-9A-F]+$/);
    for (let i = 1; i < sequencers.length; i++)
      expect((sequencers[i] ?? "") > (sequencers[i - 1] ?? "")).to.equal(true);
  });

  it("carries versionId only for versioned buckets, and the bucket's real ARN", () => {
    const unversioned = s3PutEvent({ bucket: "lambdaform-dev-uploads-x", key: "uploads/a.txt" }).Records[0]
      ?.s3;
    expect(unversioned?.object).not.to.have.property("versionId");
    expect(unversioned?.bucket.arn).to.equal("arn:aws:s3:::lambdaform-dev-uploads-x");
    const versioned = s3PutEvent({ bucket: "b", key: "k", versionId: "abc" }).Records[0]?.s3.object;
    expect(versioned?.versionId).to.equal("abc");
  });
});
