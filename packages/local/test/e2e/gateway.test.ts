import {
  CreateQueueCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import { expect } from "chai";
import { Gateway, hideLambdaTargets, restoreLambdaTargets, sqsLongPoll } from "../src/dev/gateway.ts";

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

  it("recognises long polls in the JSON and the query protocol, and leaves other calls alone", () => {
    const json = sqsLongPoll(
      { "x-amz-target": "AmazonSQS.ReceiveMessage" },
      Buffer.from(JSON.stringify({ QueueUrl: "q", WaitTimeSeconds: 20, MaxNumberOfMessages: 10 })),
    );
    expect(json?.waitSeconds).to.equal(20);
    expect(JSON.parse(json?.shortPoll.toString() ?? "{}")).to.deep.equal({
      QueueUrl: "q",
      WaitTimeSeconds: 0,
      MaxNumberOfMessages: 10,
    });
    const query = sqsLongPoll(
      { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      Buffer.from("Action=ReceiveMessage&QueueUrl=q&WaitTimeSeconds=5"),
    );
    expect(query?.waitSeconds).to.equal(5);
    expect(query?.shortPoll.toString()).to.equal("Action=ReceiveMessage&QueueUrl=q&WaitTimeSeconds=0");
    expect(
      sqsLongPoll({ "x-amz-target": "AmazonSQS.ReceiveMessage" }, Buffer.from('{"QueueUrl":"q"}')),
    ).to.equal(undefined);
    expect(
      sqsLongPoll({ "x-amz-target": "AmazonSQS.SendMessage" }, Buffer.from('{"WaitTimeSeconds":5}')),
    ).to.equal(undefined);
  });

  it("gives moto Lambda targets it cannot run, and gives readers back the ARN as written", () => {
    const arn = "arn:aws:lambda:us-east-1:123456789012:function:lambdaform-dev-s3-processor";
    const put = `<NotificationConfiguration><CloudFunctionConfiguration><Id>uploads</Id><CloudFunction>${arn}</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>`;
    const stored = hideLambdaTargets(Buffer.from(put)).toString();
    expect(stored).to.contain(`<CloudFunction>${arn}:lambdaform-local</CloudFunction>`);
    const reply = restoreLambdaTargets({
      status: 200,
      headers: { "content-length": String(stored.length) },
      body: Buffer.from(stored),
    });
    expect(reply.body.toString()).to.equal(put);
    expect(reply.headers["content-length"]).to.equal(String(put.length));
  });
});
