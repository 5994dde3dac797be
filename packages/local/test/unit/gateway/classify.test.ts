import { expect } from "chai";
import { classify } from "../../../src/gateway/classify.ts";

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
    ).to.deep.nested.include({
      "operation.action": "s3:GetObject",
      "operation.resource": "arn:aws:s3:::b/uploads/my report+1.txt",
    });
    expect(
      classify(facts("GET", "http://h/b/k?versionId=v1", sign("s3")), "us-east-1", "1")?.operation?.action,
    ).to.equal("s3:GetObjectVersion");
    expect(
      classify(facts("PUT", "http://h/b/k", { ...sign("s3"), "x-amz-copy-source": "/b/o" }), "us-east-1", "1")
        ?.s3,
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
    )?.operation;
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
    )?.operation;
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
    )?.operation;
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
    )?.operation;
    expect(sqs?.resource).to.equal("arn:aws:sqs:us-east-1:123456789012:q-dlq");
  });

  it("does not classify unsigned requests", () => {
    expect(classify(facts("GET", "http://h/prod/hello", {}), "us-east-1", "1")).to.equal(undefined);
  });
});
