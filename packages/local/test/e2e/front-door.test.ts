import { request as httpRequest } from "node:http";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import { expect } from "chai";
import type { Deployed } from "../../src/dev/deployed.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { buildRouting } from "../../src/gateway/routing.ts";
import { functionCredentials } from "../../src/identity.ts";
import type { LocalRuntime } from "../../src/runtime/local-runtime.ts";
import { fixtureRuntime } from "../helpers.ts";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PROCESSOR = "lambdaform-test-processor";
const MONITOR = "lambdaform-test-monitor";

/** The seed's two roles, as deployed: the processor reads uploads and writes rows, the monitor publishes. */
const deployed: Deployed = {
  accountId: ACCOUNT,
  region: REGION,
  functions: new Map([
    [
      PROCESSOR,
      {
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${PROCESSOR}`,
        roleName: "processor-role",
        policies: [
          {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "ObjectsUnderUploads",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject"],
                Resource: "arn:aws:s3:::data/uploads/*",
              },
              {
                Sid: "ImagesAnywhere",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: "arn:aws:s3:::data/*.jpg",
              },
              {
                Sid: "DeleteUploads",
                Effect: "Allow",
                Action: "s3:DeleteObject",
                Resource: "arn:aws:s3:::data/uploads/*",
              },
              {
                Sid: "WriteRows",
                Effect: "Allow",
                Action: "dynamodb:PutItem",
                Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Rows`,
              },
              {
                Sid: "OwnDeadLetters",
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:processor-dlq`,
              },
            ],
          },
        ],
      },
    ],
    [
      MONITOR,
      {
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${MONITOR}`,
        roleName: "monitor-role",
        policies: [
          {
            Version: "2012-10-17",
            Statement: [
              { Sid: "Describe", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" },
              {
                Sid: "Publish",
                Effect: "Allow",
                Action: "cloudwatch:PutMetricData",
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": "Custom/EC2" } },
              },
            ],
          },
        ],
      },
    ],
  ]),
  apis: [
    {
      id: "abc123",
      name: "api",
      stages: [{ name: "prod" }],
      routes: [
        {
          resourcePath: "/hello",
          resourceId: "r1",
          httpMethod: "ANY",
          functionName: "lambdaform-test-probe",
          timeoutMs: 29_000,
        },
      ],
    },
  ],
  rules: [],
  buckets: ["data"],
  tables: ["Rows"],
  alarms: [],
  resources: [],
};

// The probe fixture answers an API Gateway event (no action) with 201.

/** A signed-looking request as a function (or the admin) sends it: the gateway reads, moto trusts. */
const auth = (key: string, service: string) =>
  `AWS4-HMAC-SHA256 Credential=${key}/20261201/${REGION}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

// The gateway's front door and its authorization of exactly what moto runs, against a real moto:
// every case here was reproduced against the gateway before it refused it (issue #13).
describe("the gateway's front door: loopback, same-site, capped, and authorizing what moto runs", function () {
  this.timeout(60_000);
  let suite: MotoSuite | undefined;
  let gateway: Gateway;
  let runtime: LocalRuntime;
  const logs: string[] = [];
  const processor = functionCredentials(PROCESSOR).accessKeyId;
  const monitor = functionCredentials(MONITOR).accessKeyId;
  const admin = { region: REGION, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  const clients = () => ({
    s3: new S3Client({ ...admin, endpoint: suite?.moto.endpoint, forcePathStyle: true }),
    dynamodb: new DynamoDBClient({ ...admin, endpoint: suite?.moto.endpoint }),
    ec2: new EC2Client({ ...admin, endpoint: suite?.moto.endpoint }),
    sqs: new SQSClient({ ...admin, endpoint: suite?.moto.endpoint }),
  });
  /** One raw HTTP request to the gateway, headers exactly as given (duplicates included). */
  const raw = (
    method: string,
    path: string,
    headers: Array<[string, string]> = [],
    body?: string | Buffer,
  ): Promise<Raw> =>
    new Promise((resolve, reject) => {
      const flat = headers.flat();
      if (!headers.some(([name]) => name.toLowerCase() === "host"))
        flat.push("Host", `127.0.0.1:${gateway.port}`);
      const req = httpRequest({ host: "127.0.0.1", port: gateway.port, method, path, headers: flat });
      req.on("response", (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString(),
          }),
        );
      });
      req.on("error", reject);
      req.end(body);
    });
  const json = (target: string, key: string, service: string): Array<[string, string]> => [
    ["Authorization", auth(key, service)],
    ["X-Amz-Target", target],
    ["Content-Type", "application/x-amz-json-1.0"],
  ];
  const form = (key: string, service: string): Array<[string, string]> => [
    ["Authorization", auth(key, service)],
    ["Content-Type", "application/x-www-form-urlencoded"],
  ];
  const bucketNames = async () =>
    ((await clients().s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);

  before(async function () {
    suite = await motoForSuite(this);
    runtime = fixtureRuntime([{ fixture: "probe", name: "probe" }]);
    gateway = new Gateway({
      motoEndpoint: suite.moto.endpoint,
      iam: "enforce",
      log: (line) => logs.push(line),
    });
    await gateway.listen(0);
    gateway.use(buildRouting(deployed, runtime, { apiThrottling: false }));
    const { s3, dynamodb, sqs } = clients();
    await s3.send(new CreateBucketCommand({ Bucket: "data" }));
    await s3.send(new PutObjectCommand({ Bucket: "data", Key: "secret.txt", Body: "the secret" }));
    for (const table of ["Rows", "Secret"])
      await dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          KeySchema: [{ AttributeName: "k", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "k", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    for (const queue of ["processor-dlq", "other-queue"])
      await sqs.send(new CreateQueueCommand({ QueueName: queue }));
  });

  after(async () => {
    await gateway?.close();
    await runtime?.close();
    await suite?.stop();
  });

  describe("the front door", () => {
    it("never serves moto's control API, however the path is spelled, signed or not", async () => {
      const signed: Array<[string, string]> = [["Authorization", auth("test", "s3")]];
      for (const path of [
        "/moto-api/data.json",
        "/moto-api/data.json?X-Amz-Credential=x/20261201/us-east-1/s3/aws4_request",
        "/%6Doto-api/data.json",
        "//moto-api/reset",
        "/_lambdaform-moto/status",
      ])
        expect((await raw("GET", path, signed)).status, path).to.equal(404);
      // Prepare
      // Act: a page's no-preflight POST (text/plain, cross-site) at moto's reset.
      const reset = await raw(
        "POST",
        "/moto-api/reset?X-Amz-Credential=x",
        [
          ["Origin", "http://evil.example"],
          ["Content-Type", "text/plain"],
        ],
        "x",
      );
      // Assess: refused, and the state is all there.
      expect(reset.status).to.equal(404);
      expect(await bucketNames()).to.include("data");
    });

    it("answers only loopback host names: a DNS-rebound name is refused", async () => {
      const rebound = await raw("GET", "/prod/hello", [["Host", `attacker.example:${gateway.port}`]]);
      expect(rebound.status).to.equal(403);
      expect(rebound.body).to.contain("only loopback host names");
      const signed = await raw("GET", "/", [
        ["Host", `attacker.example:${gateway.port}`],
        ["Authorization", auth("test", "s3")],
      ]);
      expect(signed.status).to.equal(403);
      expect(signed.body).to.match(/<Code>InvalidHost<\/Code>/);
      for (const host of [
        `localhost:${gateway.port}`,
        `[::1]:${gateway.port}`,
        "abc123.execute-api.localhost",
      ])
        expect((await raw("GET", "/prod/hello", [["Host", host]])).status, host).to.equal(201);
    });

    it("refuses a page's cross-site request to the AWS and control APIs, but serves it on API Gateway routes", async () => {
      // A page's form POST creating a bucket: no preflight, text/plain, cross-site.
      const page = await raw(
        "PUT",
        "/evil-bucket",
        [
          ["Authorization", auth("test", "s3")],
          ["Origin", "http://evil.example"],
          ["Content-Type", "text/plain"],
        ],
        "",
      );
      expect(page.status).to.equal(403);
      expect(page.body).to.contain("cross-site");
      const fetchMetadata = await raw("GET", "/", [
        ["Authorization", auth("test", "s3")],
        ["Sec-Fetch-Site", "cross-site"],
      ]);
      expect(fetchMetadata.status).to.equal(403);
      expect(await bucketNames()).to.not.include("evil-bucket");
      // The control API: a page's text/plain POST, and a cross-site JSON one.
      const trigger = await raw(
        "POST",
        "/_lambdaform/trigger/anything",
        [["Content-Type", "text/plain"]],
        "{}",
      );
      expect(trigger.status).to.equal(415);
      const crossJson = await raw(
        "POST",
        "/_lambdaform/trigger/anything",
        [
          ["Content-Type", "application/json"],
          ["Origin", "http://evil.example"],
        ],
        "{}",
      );
      expect(crossJson.status).to.equal(403);
      // API Gateway routes answer as AWS does: CORS is the function's business.
      const api = await raw("GET", "/prod/hello", [["Origin", "http://evil.example"]]);
      expect(api.status).to.equal(201); // the probe function's own answer
      // A same-origin page (the gateway's own) is let in.
      const own = await raw("GET", "/", [
        ["Authorization", auth("test", "s3")],
        ["Origin", `http://127.0.0.1:${gateway.port}`],
      ]);
      expect(own.status).to.equal(200);
    });

    it("caps bodies: API Gateway's 10 MB (413 Request Too Long), declared or streamed, and other AWS calls", async () => {
      const streamed = await raw(
        "POST",
        "/prod/hello",
        [["Transfer-Encoding", "chunked"]],
        Buffer.alloc(10 * 1024 * 1024 + 1, 0x61),
      );
      expect(streamed.status).to.equal(413);
      expect(JSON.parse(streamed.body)).to.deep.equal({ message: "Request Too Long" });
      // Declared too large: refused before a byte of it is read.
      const declared = await raw("POST", "/", [
        ...json("DynamoDB_20120810.PutItem", "test", "dynamodb"),
        ["Content-Length", String(100 * 1024 * 1024)],
      ]);
      expect(declared.status).to.equal(413);
      expect(JSON.parse(declared.body).__type).to.equal("RequestEntityTooLarge");
      const object = await raw("PUT", "/data/big.bin", [
        ["Authorization", auth("test", "s3")],
        ["Content-Length", String(600 * 1024 * 1024)],
      ]);
      expect(object.status).to.equal(400);
      expect(object.body).to.contain("<Code>EntityTooLarge</Code>");
    });

    it("answers a bad % escape in an S3 path with S3's 400 InvalidURI, not a 500", async () => {
      const bad = await raw("GET", "/data/uploads/%E0%A4%A.txt", [["Authorization", auth(processor, "s3")]]);
      expect(bad.status).to.equal(400);
      expect(bad.body).to.contain("<Code>InvalidURI</Code>");
    });

    it("reads one signer: a doubled Credential, a second Authorization header or both auth mechanisms are refused", async () => {
      const doubled = await raw(
        "POST",
        "/",
        [
          [
            "Authorization",
            `${auth(monitor, "dynamodb")}, Credential=test/20261201/us-east-1/dynamodb/aws4_request`,
          ],
          ["X-Amz-Target", "DynamoDB_20120810.DeleteTable"],
          ["Content-Type", "application/x-amz-json-1.0"],
        ],
        JSON.stringify({ TableName: "Secret" }),
      );
      expect(doubled.status).to.equal(403);
      expect(doubled.body).to.contain("IncompleteSignature");
      const twice = await raw(
        "POST",
        "/",
        [
          ["Authorization", auth(monitor, "dynamodb")],
          ...json("DynamoDB_20120810.DeleteTable", "test", "dynamodb"),
        ],
        JSON.stringify({ TableName: "Secret" }),
      );
      expect(twice.status).to.equal(400);
      const both = await raw(
        "GET",
        `/data/uploads/x?X-Amz-Credential=test/20261201/us-east-1/s3/aws4_request`,
        [["Authorization", auth(processor, "s3")]],
      );
      expect(both.status).to.equal(400);
      expect(
        await clients().dynamodb.send(new DescribeTableCommand({ TableName: "Secret" })),
      ).to.have.nested.property("Table.TableName", "Secret");
    });
  });

  describe("authorizing exactly what moto executes", () => {
    it("refuses a URL Action beside a JSON X-Amz-Target: no Scan, no DeleteTable", async () => {
      for (const action of ["Scan", "DeleteTable"]) {
        const smuggled = await raw(
          "POST",
          `/?Action=${action}`,
          json("DynamoDB_20120810.PutItem", processor, "dynamodb"),
          JSON.stringify({ TableName: "Rows", Item: { k: { S: "x" } } }),
        );
        expect(smuggled.status, action).to.equal(400);
        expect(smuggled.body).to.not.contain('"Items"');
      }
      expect(
        await clients().dynamodb.send(new DescribeTableCommand({ TableName: "Rows" })),
      ).to.have.nested.property("Table.TableName", "Rows");
    });

    it("refuses a URL Action that differs from the form body's: no TerminateInstances through DescribeInstances", async () => {
      const { ec2 } = clients();
      const run = await ec2.send(
        new RunInstancesCommand({ ImageId: "ami-12345678", MinCount: 1, MaxCount: 1 }),
      );
      const id = run.Instances?.[0]?.InstanceId ?? "";
      const smuggled = await raw(
        "POST",
        "/?Action=DescribeInstances",
        form(monitor, "ec2"),
        `Action=TerminateInstances&Version=2016-11-15&InstanceId.1=${id}`,
      );
      expect(smuggled.status).to.equal(400);
      const state = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      expect(state.Reservations?.[0]?.Instances?.[0]?.State?.Name).to.equal("running");
      // And the form body's own action is what is authorized: the monitor may not create alarms.
      const alarm = await raw(
        "POST",
        "/",
        form(monitor, "monitoring"),
        "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=a&MetricName=m&Namespace=Custom/EC2&Statistic=Average&Period=60&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold",
      );
      expect(alarm.status).to.equal(403);
      expect(alarm.body).to.contain("cloudwatch:PutMetricAlarm");
    });

    it("takes only an exact queue URL: a path past the allowed queue's name is refused", async () => {
      const body = JSON.stringify({
        QueueUrl: `http://127.0.0.1:${gateway.port}/${ACCOUNT}/processor-dlq/other-queue`,
        MessageBody: "smuggled",
      });
      const smuggled = await raw("POST", "/", json("AmazonSQS.SendMessage", processor, "sqs"), body);
      expect(smuggled.status).to.equal(400);
      const other = await clients().sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: `${suite?.moto.endpoint}/${ACCOUNT}/other-queue`,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      expect(other.Attributes?.ApproximateNumberOfMessages).to.equal("0");
      // The exact URL of its own queue is allowed.
      const own = await raw(
        "POST",
        "/",
        json("AmazonSQS.SendMessage", processor, "sqs"),
        JSON.stringify({
          QueueUrl: `http://127.0.0.1:${gateway.port}/${ACCOUNT}/processor-dlq`,
          MessageBody: "ok",
        }),
      );
      expect(own.status, own.body).to.equal(200);
    });

    it("authorizes a copy's source as s3:GetObject: no copying secret.txt into uploads/", async () => {
      const copy = await raw("PUT", "/data/uploads/stolen.txt", [
        ["Authorization", auth(processor, "s3")],
        ["x-amz-copy-source", "/data/secret.txt"],
      ]);
      expect(copy.status).to.equal(403);
      expect(copy.body).to.contain("s3:GetObject on resource: arn:aws:s3:::data/secret.txt");
      const part = await raw("PUT", "/data/uploads/stolen.txt?partNumber=1&uploadId=u1", [
        ["Authorization", auth(processor, "s3")],
        ["x-amz-copy-source", "data/secret.txt"],
      ]);
      expect(part.status).to.equal(403);
      expect(part.body).to.contain("arn:aws:s3:::data/secret.txt");
    });

    it("maps S3 sub-resources to their own IAM actions: ?acl and ?tagging are not PutObject or GetObject", async () => {
      const cases: Array<[string, string, string]> = [
        ["PUT", "/data/uploads/a.txt?acl", "s3:PutObjectAcl"],
        ["GET", "/data/uploads/a.txt?tagging", "s3:GetObjectTagging"],
        ["PUT", "/data/uploads/a.txt?tagging", "s3:PutObjectTagging"],
        ["GET", "/data?encryption", "s3:GetEncryptionConfiguration"],
        ["HEAD", "/data", "s3:ListBucket"],
        ["PUT", "/newbucket", "s3:CreateBucket"],
      ];
      for (const [method, path, action] of cases) {
        const reply = await raw(method, path, [["Authorization", auth(processor, "s3")]]);
        expect(reply.status, `${method} ${path}`).to.equal(403);
        if (method !== "HEAD") expect(reply.body, `${method} ${path}`).to.contain(action);
      }
      const unknown = await raw("GET", "/data?analytics", [["Authorization", auth(processor, "s3")]]);
      expect(unknown.status).to.equal(403);
      expect(unknown.body).to.contain("?analytics");
    });

    it("checks every table of a DynamoDB batch or transaction, not table/*", async () => {
      const batch = await raw(
        "POST",
        "/",
        json("DynamoDB_20120810.BatchWriteItem", processor, "dynamodb"),
        JSON.stringify({ RequestItems: { Secret: [{ DeleteRequest: { Key: { k: { S: "x" } } } }] } }),
      );
      expect(batch.status).to.equal(400);
      expect(batch.body).to.contain(
        "dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Secret",
      );
      const transact = await raw(
        "POST",
        "/",
        json("DynamoDB_20120810.TransactWriteItems", processor, "dynamodb"),
        JSON.stringify({
          TransactItems: [
            { Put: { TableName: "Rows", Item: { k: { S: "ok" } } } },
            { Delete: { TableName: "Secret", Key: { k: { S: "x" } } } },
          ],
        }),
      );
      expect(transact.status).to.equal(400);
      expect(transact.body).to.contain(
        "dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Secret",
      );
    });

    it("honours a bucket policy's Principal: another role's Allow grants nothing, another role's Deny denies nothing", async () => {
      // Prepare: a bucket whose policy allows (and one whose policy denies) another role only.
      const { s3 } = clients();
      const other = `arn:aws:iam::${ACCOUNT}:role/other-role`;
      await s3.send(new CreateBucketCommand({ Bucket: "shared" }));
      await s3.send(new PutObjectCommand({ Bucket: "shared", Key: "x.txt", Body: "shared" }));
      await s3.send(new PutObjectCommand({ Bucket: "data", Key: "uploads/mine.txt", Body: "mine" }));
      const policy = (effect: string, resource: string) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: `${effect}Other`,
              Effect: effect,
              Principal: { AWS: other },
              Action: "s3:GetObject",
              Resource: resource,
            },
          ],
        });
      await s3.send(
        new PutBucketPolicyCommand({
          Bucket: "shared",
          Policy: policy("Allow", "arn:aws:s3:::shared/*"),
        }),
      );
      await s3.send(
        new PutBucketPolicyCommand({
          Bucket: "data",
          Policy: policy("Deny", "arn:aws:s3:::data/uploads/*"),
        }),
      );
      try {
        // Act
        const granted = await raw("GET", "/shared/x.txt", [["Authorization", auth(processor, "s3")]]);
        const denied = await raw("GET", "/data/uploads/mine.txt", [["Authorization", auth(processor, "s3")]]);
        // Assess
        expect(granted.status).to.equal(403);
        expect(granted.body).to.contain("no identity-based policy allows the s3:GetObject action");
        // The gateway's evaluation lets the call through (moto's own bucket-policy check, which
        // ignores Principal, then refuses it: a moto quirk, not the gateway's decision).
        expect(denied.body).to.not.contain("explicit deny");
        expect(
          logs.filter((l) => l.startsWith("IAM denied") && l.includes("data/uploads/mine.txt")),
        ).to.deep.equal([]);
        expect(logs.some((l) => l.startsWith("IAM denied") && l.includes("shared/x.txt"))).to.equal(true);
      } finally {
        await s3.send(new DeleteBucketPolicyCommand({ Bucket: "data" }));
      }
    });

    it("refuses what moto would read otherwise: an Action in a JSON body, a form beside a URL query, multipart", async () => {
      // moto reads a JSON body as a query string when nothing else gives it one; its Action wins.
      for (const [target, service, body] of [
        [
          "DynamoDB_20120810.PutItem",
          "dynamodb",
          '{"TableName":"Rows","Item":{"k":{"S":"x"}},"z":"&Action=DeleteTable&"}',
        ],
        [
          "AmazonSQS.SendMessage",
          "sqs",
          `{"QueueUrl":"http://127.0.0.1:${gateway.port}/${ACCOUNT}/processor-dlq","MessageBody":"m","z":"&Action=DeleteQueue&"}`,
        ],
      ] as const) {
        const reply = await raw("POST", "/", json(target, processor, service), body);
        expect(reply.status, target).to.equal(400);
        expect(reply.body).to.contain("names no Action");
      }
      expect(
        await clients().dynamodb.send(new DescribeTableCommand({ TableName: "Rows" })),
      ).to.have.nested.property("Table.TableName", "Rows");
      // A form (any case of its media type, or multipart) beside a URL query: moto reads only the form.
      const { ec2 } = clients();
      const id =
        (await ec2.send(new RunInstancesCommand({ ImageId: "ami-12345678", MinCount: 1, MaxCount: 1 })))
          .Instances?.[0]?.InstanceId ?? "";
      for (const type of ["Application/X-WWW-Form-Urlencoded", "multipart/form-data; boundary=B"]) {
        const body = type.startsWith("multipart")
          ? `--B\r\nContent-Disposition: form-data; name="Action"\r\n\r\nTerminateInstances\r\n--B\r\nContent-Disposition: form-data; name="InstanceId.1"\r\n\r\n${id}\r\n--B--\r\n`
          : `Action=TerminateInstances&Version=2016-11-15&InstanceId.1=${id}`;
        const reply = await raw(
          "POST",
          "/?Action=DescribeInstances&Version=2016-11-15",
          [
            ["Authorization", auth(monitor, "ec2")],
            ["Content-Type", type],
          ],
          body,
        );
        expect(reply.status, type).to.equal(400);
      }
      const state = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      expect(state.Reservations?.[0]?.Instances?.[0]?.State?.Name).to.equal("running");
    });

    it("reads a DeleteObjects body only in its plain shape, and a copy source only as <bucket>/<key>", async () => {
      const deleteObjects = (body: string) =>
        raw(
          "POST",
          "/data?delete",
          [
            ["Authorization", auth(processor, "s3")],
            ["Content-Type", "application/xml"],
          ],
          body,
        );
      for (const body of [
        "<Delete><Object><!--<Key>uploads/a</Key>--><Key>secret.txt</Key></Object></Delete>",
        '<Delete><Object><Key>uploads/a</Key></Object><Object a="1"><Key>secret.txt</Key></Object></Delete>',
        "<Delete><Object><Key><![CDATA[secret.txt]]></Key></Object></Delete>",
        "<Delete><Object><Key>&#xFFFFFFF;</Key></Object></Delete>",
      ]) {
        const reply = await deleteObjects(body);
        expect(reply.status, body).to.equal(400);
        expect(reply.body).to.contain("<Code>MalformedXML</Code>");
      }
      // The plain shape is checked per key.
      const plain = await deleteObjects(
        '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>uploads/a</Key></Object><Object><Key>secret.txt</Key></Object><Quiet>true</Quiet></Delete>',
      );
      expect(plain.status).to.equal(403);
      expect(plain.body).to.contain("s3:DeleteObject on resource: arn:aws:s3:::data/secret.txt");
      for (const source of [
        "data/secret.txt#.jpg",
        "data/secret.txt;.jpg",
        "//data/secret.txt",
        "http:data/secret.txt",
      ]) {
        const copy = await raw("PUT", "/data/uploads/stolen.txt", [
          ["Authorization", auth(processor, "s3")],
          ["x-amz-copy-source", source],
        ]);
        expect(copy.status, source).to.equal(400);
      }
      const secret = await clients().s3.send(new ListBucketsCommand({}));
      expect(secret.Buckets?.map((b) => b.Name)).to.include("data");
      // A %2F in the bucket segment is the object moto reads: checked as s3:GetObject on it.
      const slash = await raw("GET", "/data%2Fsecret.txt", [["Authorization", auth(processor, "s3")]]);
      expect(slash.status).to.equal(403);
      expect(slash.body).to.contain("s3:GetObject on resource: arn:aws:s3:::data/secret.txt");
    });

    it("answers crafted shapes with a 400 naming the field, never a 500", async () => {
      const cases: Array<[string, string, string]> = [
        ["DynamoDB_20120810.TransactWriteItems", "dynamodb", '{"TransactItems":[null]}'],
        ["DynamoDB_20120810.TransactGetItems", "dynamodb", '{"TransactItems":[{}]}'],
        ["DynamoDB_20120810.TransactWriteItems", "dynamodb", '{"TransactItems":[{"constructor":{}}]}'],
        ["DynamoDB_20120810.BatchWriteItem", "dynamodb", '{"RequestItems":[1]}'],
        ["GraniteServiceVersion20100801.PutMetricData", "monitoring", '{"Namespace":{"a":1}}'],
      ];
      for (const [target, service, body] of cases) {
        const reply = await raw("POST", "/", json(target, processor, service), body);
        expect(reply.status, `${target} ${body}`).to.equal(400);
      }
      const unordered = await raw("GET", "/", [
        [
          "Authorization",
          `SignedHeaders=host, Credential=test/20261201/us-east-1/s3/aws4_request, Signature=${"0".repeat(64)}`.replace(
            /^/,
            "AWS4-HMAC-SHA256 ",
          ),
        ],
      ]);
      expect(unordered.status).to.equal(403);
      const partless = await raw(
        "PUT",
        "/data/uploads/b.txt?uploadId=1",
        [["Authorization", auth(processor, "s3")]],
        "x",
      );
      expect(partless.status).to.equal(403);
      expect(partless.body).to.contain("without partNumber");
    });

    it("leaves other Authorization schemes to API Gateway routes: Bearer is the function's business", async () => {
      const bearer = await raw("GET", "/prod/hello", [["Authorization", "Bearer abc"]]);
      expect(bearer.status).to.equal(201);
      const stray = await raw("GET", "/prod/hello?X-Amz-Signature=1");
      expect(stray.status).to.equal(201);
    });

    it("denies functions what it does not recognise, naming the operation", async () => {
      const partiql = await raw(
        "POST",
        "/",
        json("DynamoDB_20120810.ExecuteStatement", processor, "dynamodb"),
        JSON.stringify({ Statement: "SELECT * FROM Secret" }),
      );
      expect(partiql.status).to.equal(400);
      expect(partiql.body).to.contain("ExecuteStatement");
    });
  });
});
