import {
  CreateQueueCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
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
});
