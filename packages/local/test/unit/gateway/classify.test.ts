import { expect } from "chai";
import { classify } from "../../../src/gateway/classify.ts";

describe("operation classification", () => {
  const sign = (service: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
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

  it("maps S3 (method, sub-resource) to the Service Authorization Reference's action; only object writes notify", () => {
    const s3 = (method: string, url: string, headers: Record<string, string> = {}, body = "") =>
      classify(facts(method, `http://h${url}`, { ...sign("s3"), ...headers }, body), "us-east-1", "1");
    const table: Array<[string, string, string]> = [
      ["GET", "/", "s3:ListAllMyBuckets"],
      ["HEAD", "/b", "s3:ListBucket"],
      ["PUT", "/b", "s3:CreateBucket"],
      ["DELETE", "/b", "s3:DeleteBucket"],
      ["GET", "/b?list-type=2&prefix=u%2F", "s3:ListBucket"],
      ["GET", "/b?versions", "s3:ListBucketVersions"],
      ["GET", "/b?encryption", "s3:GetEncryptionConfiguration"],
      ["DELETE", "/b?encryption", "s3:PutEncryptionConfiguration"],
      ["DELETE", "/b?tagging", "s3:PutBucketTagging"],
      ["PUT", "/b?policy", "s3:PutBucketPolicy"],
      ["GET", "/b/k?acl", "s3:GetObjectAcl"],
      ["PUT", "/b/k?acl&versionId=v", "s3:PutObjectVersionAcl"],
      ["PUT", "/b/k?tagging", "s3:PutObjectTagging"],
      ["DELETE", "/b/k?tagging", "s3:DeleteObjectTagging"],
      ["POST", "/b/k?uploads", "s3:PutObject"],
      ["PUT", "/b/k?partNumber=1&uploadId=u", "s3:PutObject"],
      ["DELETE", "/b/k?uploadId=u", "s3:AbortMultipartUpload"],
      ["GET", "/b/k?uploadId=u", "s3:ListMultipartUploadParts"],
      ["GET", "/b/k?x-id=GetObject&response-content-type=text%2Fplain", "s3:GetObject"],
    ];
    for (const [method, url, action] of table)
      expect(s3(method, url)?.operation?.action, `${method} ${url}`).to.equal(action);
    // Writes to ?acl or ?tagging create no object: no ObjectCreated notification.
    expect(s3("PUT", "/b/k?acl")?.s3).to.deep.equal({ bucket: "b", key: "k" });
    expect(s3("PUT", "/b/k?tagging")?.s3).to.deep.equal({ bucket: "b", key: "k" });
    expect(s3("PUT", "/b/k")?.s3).to.deep.equal({ bucket: "b", key: "k", write: "Put" });
    expect(s3("POST", "/b/k?uploadId=u")?.s3?.write).to.equal("CompleteMultipartUpload");
    // Unknown sub-resources are not ListBucket: unrecognised, named.
    expect(s3("GET", "/b?analytics")).to.deep.include({
      checks: [],
      unrecognised: "S3 GET of the bucket sub-resource ?analytics",
    });
    expect(s3("GET", "/b/k?acl&tagging")?.unrecognised).to.contain("two object sub-resources");
    // A copy checks its source; DeleteObjects checks each key (and version) it names.
    expect(
      s3("PUT", "/b/k", { "x-amz-copy-source": "/src/a%20b.txt?versionId=v1" })?.checks.map((c) => [
        c.action,
        c.resource,
      ]),
    ).to.deep.equal([
      ["s3:PutObject", "arn:aws:s3:::b/k"],
      ["s3:GetObjectVersion", "arn:aws:s3:::src/a b.txt"],
    ]);
    const deleted = s3(
      "POST",
      "/b?delete",
      {},
      "<Delete><Object><Key>uploads/a&amp;b</Key></Object><Object><Key>secret</Key><VersionId>v2</VersionId></Object></Delete>",
    );
    expect(deleted?.checks.map((c) => [c.action, c.resource])).to.deep.equal([
      ["s3:DeleteObject", "arn:aws:s3:::b/uploads/a&b"],
      ["s3:DeleteObjectVersion", "arn:aws:s3:::b/secret"],
    ]);
  });

  it("names DynamoDB indexes, and each table of batches and transactions", () => {
    const ddb = (target: string, body: unknown) =>
      classify(
        facts(
          "POST",
          "http://h/",
          { ...sign("dynamodb"), "x-amz-target": `DynamoDB_20120810.${target}` },
          JSON.stringify(body),
        ),
        "us-east-1",
        "1",
      );
    expect(ddb("Query", { TableName: "T", IndexName: "byDate" })?.operation?.resource).to.equal(
      "arn:aws:dynamodb:us-east-1:1:table/T/index/byDate",
    );
    expect(
      ddb("BatchGetItem", { RequestItems: { A: {}, B: {} } })?.checks.map((c) => c.resource),
    ).to.deep.equal(["arn:aws:dynamodb:us-east-1:1:table/A", "arn:aws:dynamodb:us-east-1:1:table/B"]);
    expect(
      ddb("TransactWriteItems", {
        TransactItems: [{ Update: { TableName: "A" } }, { ConditionCheck: { TableName: "B" } }],
      })?.checks.map((c) => c.action),
    ).to.deep.equal(["dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]);
    expect(ddb("ExecuteStatement", { Statement: "SELECT * FROM T" })?.unrecognised).to.contain("PartiQL");
  });

  it("does not classify unsigned requests", () => {
    expect(classify(facts("GET", "http://h/prod/hello", {}), "us-east-1", "1")).to.equal(undefined);
  });
});
