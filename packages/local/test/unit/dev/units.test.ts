import type { LambdaFunctionConfiguration } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { functionOfIntegrationUri } from "../src/dev/deployed.ts";
import { notificationMatches } from "../src/dev/gateway.ts";
import { classify } from "../src/dev/operations.ts";
import { parseSchedule } from "../src/dev/scheduler.ts";
import { logBatches } from "../src/dev/sinks.ts";

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

describe("operation classification", () => {
  const sign = (service: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`,
  });
  const facts = (method: string, url: string, headers: Record<string, string>, body = "") => ({
    method,
    url: new URL(url),
    headers,
    body: Buffer.from(body),
  });

  it("maps S3 object calls to actions on object ARNs, with versions and writes", () => {
    expect(
      classify(facts("HEAD", "http://h/b/uploads/my%20report%2B1.txt", sign("s3")), "us-east-1", "1"),
    ).to.deep.include({
      action: "s3:GetObject",
      resource: "arn:aws:s3:::b/uploads/my report+1.txt",
    });
    expect(
      classify(facts("GET", "http://h/b/k?versionId=v1", sign("s3")), "us-east-1", "1")?.action,
    ).to.equal("s3:GetObjectVersion");
    expect(
      classify(facts("PUT", "http://h/b/k", { ...sign("s3"), "x-amz-copy-source": "/b/o" }), "us-east-1", "1")
        ?.s3Object,
    ).to.deep.equal({
      bucket: "b",
      key: "k",
      write: "Copy",
    });
  });

  it("maps JSON and query protocol calls with their resources and condition keys", () => {
    const put = classify(
      facts(
        "POST",
        "http://h/",
        { ...sign("dynamodb"), "x-amz-target": "DynamoDB_20120810.PutItem" },
        '{"TableName":"T"}',
      ),
      "eu-west-1",
      "210987654321",
    );
    expect(put).to.deep.include({
      action: "dynamodb:PutItem",
      resource: "arn:aws:dynamodb:eu-west-1:210987654321:table/T",
    });
    const metric = classify(
      facts(
        "POST",
        "http://h/",
        { ...sign("monitoring"), "x-amz-target": "GraniteServiceVersion20100801.PutMetricData" },
        '{"Namespace":"Custom/EC2"}',
      ),
      "us-east-1",
      "1",
    );
    expect(metric?.context).to.deep.equal({ "cloudwatch:namespace": "Custom/EC2" });
    const ec2 = classify(
      facts(
        "POST",
        "http://h/",
        { ...sign("ec2"), "content-type": "application/x-www-form-urlencoded" },
        "Action=DescribeInstances&Version=2016-11-15",
      ),
      "us-east-1",
      "1",
    );
    expect(ec2?.action).to.equal("ec2:DescribeInstances");
    const sqs = classify(
      facts(
        "POST",
        "http://h/",
        { ...sign("sqs"), "x-amz-target": "AmazonSQS.SendMessage" },
        '{"QueueUrl":"http://h/123456789012/q-dlq"}',
      ),
      "us-east-1",
      "123456789012",
    );
    expect(sqs?.resource).to.equal("arn:aws:sqs:us-east-1:123456789012:q-dlq");
  });

  it("does not classify unsigned requests", () => {
    expect(classify(facts("GET", "http://h/prod/hello", {}), "us-east-1", "1")).to.equal(undefined);
  });
});

describe("log shipping batches", () => {
  it("keeps each PutLogEvents call within 10,000 events and 1 MB, in order", () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ timestamp: i, message: `line ${i}` }));
    const byCount = logBatches(many);
    expect(byCount.map((b) => b.length)).to.deep.equal([10_000, 1]);
    expect(byCount[1]?.[0]?.message).to.equal("line 10000");

    // 300 KB messages: three fit in 1 MB (with 26 bytes each), the fourth starts a new batch.
    const big = Array.from({ length: 5 }, (_, i) => ({ timestamp: i, message: "é".repeat(150_000) }));
    expect(logBatches(big).map((b) => b.length)).to.deep.equal([3, 2]);
    expect(logBatches([])).to.deep.equal([]);
  });
});

describe("schedules", () => {
  const from = new Date("2026-11-27T10:02:30Z");
  it("fires rate() expressions at their interval", () => {
    expect(parseSchedule("rate(5 minutes)")(from).toISOString()).to.equal("2026-11-27T10:07:30.000Z");
    expect(parseSchedule("rate(1 hour)")(from).toISOString()).to.equal("2026-11-27T11:02:30.000Z");
  });

  it("fires cron() expressions at the next matching minute (UTC)", () => {
    expect(parseSchedule("cron(0/15 * * * ? *)")(from).toISOString()).to.equal("2026-11-27T10:15:00.000Z");
    expect(parseSchedule("cron(0 12 * * ? *)")(from).toISOString()).to.equal("2026-11-27T12:00:00.000Z");
    expect(parseSchedule("cron(30 9 1 * ? *)")(from).toISOString()).to.equal("2026-12-01T09:30:00.000Z");
  });

  it("says what it cannot parse", () => {
    expect(() => parseSchedule("every 5 minutes")).to.throw(/expected rate\(\.\.\.\) or cron\(\.\.\.\)/);
    expect(() => parseSchedule("cron(0 12 ? * MON-FRI *)")).to.throw(/not supported locally/);
  });
});

describe("deployed model", () => {
  it("finds the function of a Lambda proxy integration URI", () => {
    expect(
      functionOfIntegrationUri(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:lambdaform-dev-hello-api/invocations",
      ),
    ).to.equal("lambdaform-dev-hello-api");
  });
});

describe("gateway port", () => {
  it("says which flag changes a port that is already in use", async () => {
    const { createServer } = await import("node:net");
    const { Gateway } = await import("../src/dev/gateway.ts");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const gateway = new Gateway({ motoEndpoint: "http://127.0.0.1:9", iam: "enforce", log: () => {} });
      const error = await gateway.listen(port).catch((e: Error) => e);
      expect((error as Error).message).to.equal(
        `Port ${port} on 127.0.0.1 is already in use. Stop what uses it, or choose another with --port <n>.`,
      );
    } finally {
      blocker.close();
    }
  });
});
