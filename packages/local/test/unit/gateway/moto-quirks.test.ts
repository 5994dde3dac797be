import { expect } from "chai";
import { hideLambdaTargets, restoreLambdaTargets, sqsLongPoll } from "../../../src/gateway/moto-quirks.ts";

describe("moto link adaptations", () => {
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
