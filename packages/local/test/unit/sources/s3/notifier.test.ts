import type { LambdaFunctionConfiguration } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { notificationMatches } from "../../../../src/sources/s3/notifier.ts";

const uploads: LambdaFunctionConfiguration = {
  LambdaFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:f",
  Events: ["s3:ObjectCreated:*"],
  Filter: {
    Key: {
      FilterRules: [
        { Name: "prefix", Value: "uploads/" },
        { Name: "suffix", Value: ".txt" },
      ],
    },
  },
};

describe("S3 notification matching", () => {
  it("matches event types and literal prefix and suffix", () => {
    expect(notificationMatches(uploads, "ObjectCreated:Put", "uploads/a.txt")).to.equal(true);
    expect(
      notificationMatches(uploads, "ObjectCreated:CompleteMultipartUpload", "uploads/a b+c.txt"),
    ).to.equal(true);
    expect(notificationMatches(uploads, "ObjectCreated:Put", "notes/x.txt")).to.equal(false);
    expect(notificationMatches(uploads, "ObjectCreated:Put", "uploads/x.csv")).to.equal(false);
    expect(notificationMatches(uploads, "ObjectCreated:Put", "uploads/xtxt")).to.equal(false);
    expect(notificationMatches(uploads, "ObjectRemoved:Delete", "uploads/a.txt")).to.equal(false);
    expect(
      notificationMatches(
        { ...uploads, Events: ["s3:ObjectCreated:Copy"] },
        "ObjectCreated:Put",
        "uploads/a.txt",
      ),
    ).to.equal(false);
  });
});
