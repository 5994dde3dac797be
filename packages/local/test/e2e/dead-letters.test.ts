import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type MotoSuite, motoForSuite } from "@lambdaform/testkit";
import { expect } from "chai";
import { StackDeadLetters } from "../../src/dev/dlq.ts";
import { MotoLink } from "../../src/gateway/moto-link.ts";
import type { Routing } from "../../src/gateway/routing.ts";

const QUEUE = "lambdaform-test-probe-dlq";
const FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:lambdaform-test-probe";

// The stack's dead letters in moto's SQS, as the console's page and `pnpm dlq` reach them under
// pnpm dev: the page lists every few seconds, and a redrive made while a listing holds the
// messages must still find them all.
describe("dead letters in moto's SQS: listing and redriving at once", function () {
  this.timeout(60_000);
  let suite: MotoSuite | undefined;
  let sqs: SQSClient;
  let queueUrl: string;
  let letters: StackDeadLetters;
  const invoked: unknown[] = [];
  const routing = {
    runtime: {
      stack: { functions: [{ name: "lambdaform-test-probe", async: { onFailure: { queueName: QUEUE } } }] },
      function: () => ({
        invoke: async (payload: unknown) => {
          invoked.push(payload);
          return { payload: null };
        },
      }),
    },
  } as unknown as Routing;

  before(async function () {
    suite = await motoForSuite(this);
    const link = new MotoLink(suite.moto.endpoint);
    sqs = new SQSClient(link.clientConfig("us-east-1"));
    letters = new StackDeadLetters(link.clientConfig("us-east-1"));
    ({ QueueUrl: queueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: QUEUE })));
  });

  after(() => suite?.stop());

  const record = (n: number) => ({
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: `req-${n}`,
      functionArn: `${FUNCTION_ARN}:$LATEST`,
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload: { n },
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  });

  it("redrives every letter even while listings run beside it, then lists none", async () => {
    for (let n = 1; n <= 12; n++)
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record(n)) }));
    expect(await letters.list(routing)).to.have.length(12);
    // A listing first, as the page's poll would be when the Redrive button is pressed.
    const [listed, redriven, after] = await Promise.all([
      letters.list(routing),
      letters.redrive(routing, QUEUE),
      letters.list(routing),
    ]);
    expect(listed).to.have.length(12);
    expect(redriven.map((r) => r.status)).to.deep.equal(Array(12).fill("succeeded"));
    expect(invoked.map((p) => (p as { n: number }).n).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(after).to.deep.equal([]);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(Attributes).to.include({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });

  it("a listing that fails does not stop the next call", async () => {
    const none = { runtime: { stack: { functions: [] } } } as unknown as Routing;
    await letters.list(none, "no-such-queue").then(
      () => expect.fail("listed a queue the stack does not have"),
      (error: Error) => expect(error.message).to.contain("no-such-queue"),
    );
    expect(await letters.list(routing)).to.deep.equal([]);
  });
});
