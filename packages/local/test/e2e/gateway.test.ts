import { Agent } from "node:http";
import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import { expect } from "chai";
import { Gateway } from "../../src/gateway/gateway.ts";

describe("gateway in front of moto", function () {
  this.timeout(30_000);
  let suite: MotoSuite | undefined;
  let gateway: Gateway;
  let sqs: SQSClient;
  let QueueUrl: string;

  before(async function () {
    suite = await motoForSuite(this);
    gateway = new Gateway({ motoEndpoint: suite.moto.endpoint, iam: "off", log: () => {} });
    await gateway.listen(0);
    sqs = new SQSClient({
      endpoint: gateway.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    QueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "long-poll" }))).QueueUrl ?? "";
  });

  after(async () => {
    await gateway?.close();
    await suite?.stop();
  });

  it("keeps a client's connection open: moto's Connection: close is its own hop, not passed on", async () => {
    // Prepare: an SDK client on one kept-alive connection, counting the sockets it opens.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let sockets = 0;
    const open = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof open>) => {
      sockets += 1;
      return open(...args);
    };
    const client = new SQSClient({
      endpoint: gateway.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      requestHandler: { httpAgent: agent },
    });
    try {
      // Act
      for (let i = 0; i < 3; i++) await client.send(new ListQueuesCommand({}));
      // Assess: moto closed its side after each call; the client's connection stayed up.
      expect(sockets).to.equal(1);
    } finally {
      client.destroy();
      agent.destroy();
    }
  });

  it("waits out an SQS long poll itself, so moto keeps answering other calls meanwhile", async () => {
    // Act: a 2 s long poll on an empty queue, and another call while it waits.
    const started = performance.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const other = performance.now();
    await sqs.send(new ListQueuesCommand({}));
    const otherMs = performance.now() - other;
    const received = await polling;
    // Assess: the other call did not queue behind the wait; the wait lasted as asked.
    expect(otherMs).to.be.below(1000);
    expect(received.Messages ?? []).to.have.length(0);
    expect(performance.now() - started).to.be.within(1900, 4000);
  });

  it("answers a long poll as soon as a message arrives", async () => {
    const started = performance.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "arrived" }));
    const received = await polling;
    expect(received.Messages?.map((m) => m.Body)).to.deep.equal(["arrived"]);
    expect(performance.now() - started).to.be.below(3000);
  });

  // The AWS provider's waiters, and the reads that decide whether a later plan has changes.
  describe("answers Terraform's AWS provider relies on", () => {
    /** A call signed as the CLI signs it (moto checks no signature; the gateway reads the credential). */
    const signed = (
      service: string,
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) =>
      fetch(`${gateway.endpoint}${path}`, {
        method,
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
    const policy = (queueArn: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "S",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queueArn,
          },
        ],
      });

    it("sqs waitQueueAttributesPropagated: a queue's Policy survives a SetQueueAttributes that leaves it out", async () => {
      // Prepare: a queue created with a policy, as aws_sqs_queue with `policy` creates it.
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: "with-policy" }))).QueueUrl ?? "";
      const arn = "arn:aws:sqs:us-east-1:123456789012:with-policy";
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: policy(arn) } }));
      // Act: the provider's update of another attribute sends only that one.
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "45" } }),
      );
      // Assess: both read back as set, so the waiter and the next plan find what was applied.
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
      );
      expect(Attributes?.VisibilityTimeout).to.equal("45");
      expect(JSON.parse(Attributes?.Policy ?? "{}")).to.deep.equal(JSON.parse(policy(arn)));
    });

    it("sqs aws_sqs_queue read: RedrivePolicy comes back as compact JSON, as AWS sends it", async () => {
      const dlq = "arn:aws:sqs:us-east-1:123456789012:long-poll";
      const redrive = JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: 5 });
      const url = (
        await sqs.send(
          new CreateQueueCommand({ QueueName: "with-redrive", Attributes: { RedrivePolicy: redrive } }),
        )
      ).QueueUrl;
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["RedrivePolicy"] }),
      );
      expect(Attributes?.RedrivePolicy).to.equal(redrive);
    });

    it("lambda waitFunctionCreated / waitFunctionUpdated: State is Active and LastUpdateStatus Successful at the first poll; PutFunctionEventInvokeConfig replaces", async () => {
      // Prepare: a role and a function, as Terraform creates them.
      const role = await signed(
        "iam",
        "POST",
        "/",
        new URLSearchParams({
          Action: "CreateRole",
          RoleName: "fn",
          AssumeRolePolicyDocument:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
          Version: "2010-05-08",
        }).toString(),
        { "content-type": "application/x-www-form-urlencoded" },
      );
      expect(role.status).to.equal(200);
      const zip = Buffer.from("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", "base64").toString("base64");
      const created = await signed("lambda", "POST", "/2015-03-31/functions", {
        FunctionName: "fn",
        Runtime: "nodejs22.x",
        Role: "arn:aws:iam::123456789012:role/fn",
        Handler: "index.handler",
        Code: { ZipFile: zip },
      });
      expect(created.status, await created.clone().text()).to.equal(201);
      // Assess: what the waiters poll for is there at once.
      const got = (await (await signed("lambda", "GET", "/2015-03-31/functions/fn")).json()) as {
        Configuration: { State: string; LastUpdateStatus?: string };
      };
      expect(got.Configuration.State).to.equal("Active");
      await signed("lambda", "PUT", "/2015-03-31/functions/fn/configuration", { MemorySize: 256 });
      const updated = (await (
        await signed("lambda", "GET", "/2015-03-31/functions/fn")
      ).json()) as typeof got;
      expect(updated.Configuration.LastUpdateStatus).to.equal("Successful");
      // Act: a changed event invoke config, as the provider applies it (Put, twice).
      for (const retries of [2, 1])
        expect(
          (
            await signed("lambda", "PUT", "/2019-09-25/functions/fn/event-invoke-config", {
              MaximumRetryAttempts: retries,
            })
          ).status,
        ).to.equal(200);
      // Assess: the read gives the last one, as on AWS.
      const config = (await (
        await signed("lambda", "GET", "/2019-09-25/functions/fn/event-invoke-config")
      ).json()) as {
        MaximumRetryAttempts: number;
      };
      expect(config.MaximumRetryAttempts).to.equal(1);
    });
  });

  it("takes a gzipped call (the SDK compresses PutMetricData past 10 KiB) and moto stores every point", async () => {
    // Prepare: a client as a function or the AWS CLI has it, request compression on (the default).
    const cloudwatch = new CloudWatchClient({
      endpoint: gateway.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const start = Date.now() - 20 * 60_000;
    const MetricData = Array.from({ length: 400 }, (_, i) => ({
      MetricName: "Compressed",
      Dimensions: [{ Name: "Part", Value: "gateway" }],
      Timestamp: new Date(start + i * 1000),
      Value: 1,
      Unit: "Count" as const,
    }));
    try {
      // Act: about 40 KB of JSON, sent gzipped; moto alone answered it with an HTML 500.
      await cloudwatch.send(new PutMetricDataCommand({ Namespace: "Test/Gzip", MetricData }));
      // Assess
      const { Datapoints = [] } = await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: "Test/Gzip",
          MetricName: "Compressed",
          Dimensions: [{ Name: "Part", Value: "gateway" }],
          StartTime: new Date(start - 60_000),
          EndTime: new Date(),
          Period: 3600,
          Statistics: ["Sum"],
        }),
      );
      expect(Datapoints.reduce((n, p) => n + (p.Sum ?? 0), 0)).to.equal(400);
    } finally {
      cloudwatch.destroy();
    }
  });
});
