import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { MotoMissingError, type PersistentMoto, startPersistentMoto } from "@lambdaform/moto";
import { findMotoPython, MOTO_INSTALL_HINT, requirePrerequisite } from "@lambdaform/testkit";
import { expect } from "chai";

// pnpm dev's moto (packages/moto/python/lambdaform_moto.py): its state survives a kill, a journal
// holds only what changed state, and a state directory it cannot trust stops the start.
describe("moto with a snapshot and a journal (pnpm dev's state)", function () {
  this.timeout(120_000);
  let python: string;
  let stateDir: string;
  let moto: PersistentMoto | undefined;
  const admin = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  const sqs = () => new SQSClient({ ...admin, endpoint: moto?.endpoint });
  const s3 = () => new S3Client({ ...admin, endpoint: moto?.endpoint, forcePathStyle: true });
  const journal = () => join(stateDir, "journal.jsonl");
  const journalBytes = () => statSync(journal(), { throwIfNoEntry: false })?.size ?? 0;
  const start = async () => {
    moto = await startPersistentMoto(python, { stateDir, snapshotEverySeconds: 0 });
    return moto;
  };
  const kill = async () => {
    const running = moto;
    if (!running) return;
    process.kill(running.pid, "SIGKILL");
    while (!running.exited()) await new Promise((resolve) => setTimeout(resolve, 20));
    moto = undefined;
  };
  const depth = async (url: string) =>
    Number(
      (
        await sqs().send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
        )
      ).Attributes?.ApproximateNumberOfMessages,
    );

  before(function () {
    python = requirePrerequisite(this, "Python 3 with moto's server", findMotoPython(), MOTO_INSTALL_HINT);
  });
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), "lf-moto-state-"));
  });
  afterEach(async () => {
    await moto?.stop();
    moto = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("keeps every acknowledged write across a kill -9, under the same state id", async () => {
    await start();
    const id = await moto?.stateId();
    await s3().send(new CreateBucketCommand({ Bucket: "kept" }));
    const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: "kept" }));
    await sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
    await kill();
    const again = await start();
    expect(again.restored.replayed).to.equal(3);
    expect(again.restored.mismatches).to.equal(0);
    expect(await again.stateId()).to.equal(id);
    const buckets = await s3().send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).to.deep.equal(["kept"]);
    expect(await depth(QueueUrl ?? "")).to.equal(1);
  });

  it("journals no receive that found nothing, and every receive that returned a message", async () => {
    await start();
    const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: "polled" }));
    const before = journalBytes();
    for (let i = 0; i < 5; i += 1) await sqs().send(new ReceiveMessageCommand({ QueueUrl }));
    await sqs().send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(journalBytes()).to.equal(before);
    await sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: "one" }));
    const sent = journalBytes();
    const got = await sqs().send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 600 }));
    expect(got.Messages).to.have.length(1);
    expect(journalBytes()).to.be.greaterThan(sent);
    // The message stays hidden after a restart: its receive was journaled.
    await kill();
    await start();
    expect((await sqs().send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).to.have.length(0);
  });

  it("journals a receive that returned nothing but moved a message to its dead-letter queue", async () => {
    await start();
    const dlq = await sqs().send(new CreateQueueCommand({ QueueName: "dead" }));
    const { QueueUrl } = await sqs().send(
      new CreateQueueCommand({
        QueueName: "source",
        Attributes: {
          VisibilityTimeout: "0",
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:dead",
            maxReceiveCount: 1,
          }),
        },
      }),
    );
    await sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: "poison" }));
    expect((await sqs().send(new ReceiveMessageCommand({ QueueUrl }))).Messages).to.have.length(1);
    // The second receive finds the message past maxReceiveCount: moto moves it, returns nothing.
    expect((await sqs().send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).to.have.length(0);
    expect(await depth(dlq.QueueUrl ?? "")).to.equal(1);
    await kill();
    await start();
    expect(await depth(dlq.QueueUrl ?? "")).to.equal(1);
    expect(await depth(QueueUrl ?? "")).to.equal(0);
  });

  it("says what to install when its Python has no moto", async () => {
    // Prepare: the same Python without its site-packages, as on a machine without moto.
    const bare = join(stateDir, "python-without-moto");
    writeFileSync(bare, `#!/bin/sh\nexec "${python}" -I -S "$@"\n`);
    chmodSync(bare, 0o755);
    // Act
    const error = await startPersistentMoto(bare, { stateDir: join(stateDir, "state") }).catch(
      (e: Error) => e,
    );
    // Assess
    expect(error).to.be.instanceOf(MotoMissingError);
    expect((error as Error).message).to.match(
      /has no moto: install moto's server: pip install 'moto\[server\]'.*MOTO_PYTHON/,
    );
  });

  it("refuses a second server on the same state directory, naming the one that holds it", async () => {
    await start();
    const error = await startPersistentMoto(python, { stateDir }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/exited with code 4/);
    expect(error?.message).to.include(`is in use by pid ${moto?.pid}`);
  });

  it("drops a torn last line, and refuses a journal broken before its end, naming the line", async () => {
    await start();
    await s3().send(new CreateBucketCommand({ Bucket: "one" }));
    await s3().send(new CreateBucketCommand({ Bucket: "two" }));
    await kill();
    appendFileSync(journal(), '{"seq":99,"now":"2026-');
    const torn = await start();
    expect(torn.restored.replayed).to.equal(2);
    expect(torn.restored.dropped_bytes).to.equal(22);
    await kill();
    const [first = "", second = ""] = readFileSync(journal(), "utf8").split("\n");
    writeFileSync(journal(), `${first.slice(0, 10)}\n${second}\n`);
    const error = await start().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/exited with code 3/);
    expect(error?.message).to.include("entry on line 1 (byte 0) is broken");
    expect(error?.message).to.include("Move");
  });

  it("answers writes while the periodic snapshot is written aside, and a kill -9 after it loses none of them", async () => {
    // Prepare: a state that takes a while to pickle (about 300,000 log events).
    await start();
    const logs = new CloudWatchLogsClient({ ...admin, endpoint: moto?.endpoint });
    await logs.send(new CreateLogGroupCommand({ logGroupName: "big" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "big", logStreamName: "s" }));
    const now = Date.now();
    for (let batch = 0; batch < 30; batch++)
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: "big",
          logStreamName: "s",
          logEvents: Array.from({ length: 10_000 }, (_, i) => ({
            timestamp: now,
            message: `line ${batch}.${i}`,
          })),
        }),
      );
    // Act: the snapshot aside, and writes while it is written.
    const started = performance.now();
    const snapshot = moto?.snapshot({ aside: true });
    const answered: number[] = [];
    for (let i = 0; i < 5; i++) {
      const at = performance.now();
      await s3().send(new CreateBucketCommand({ Bucket: `during-${i}` }));
      answered.push(performance.now() - at);
    }
    const written = await snapshot;
    const took = performance.now() - started;
    await s3().send(new CreateBucketCommand({ Bucket: "after" }));
    await kill();
    const again = await start();
    // Assess: each write answered in well under the snapshot's time (under the lock, each waited
    // for all of it); the restart has the snapshot's events, the writes during it and after it.
    expect(took, "the snapshot took long enough to tell").to.be.above(1000);
    expect(Math.max(...answered)).to.be.below(took / 2);
    expect(written?.seq).to.be.a("number");
    expect(again.restored.snapshot_seq).to.equal(written?.seq);
    // The journal holds what came after the fork: the five writes during the snapshot and the one
    // after, unless the first of them reached moto before the snapshot's request (then it is in
    // the snapshot). Either way none is lost: the buckets below.
    expect(again.restored.replayed).to.be.within(5, 6);
    const buckets = (await s3().send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name).sort();
    expect(buckets).to.deep.equal(["after", "during-0", "during-1", "during-2", "during-3", "during-4"]);
    const events = await new CloudWatchLogsClient({ ...admin, endpoint: again.endpoint }).send(
      new GetLogEventsCommand({ logGroupName: "big", logStreamName: "s", startFromHead: true, limit: 1 }),
    );
    expect(events.events?.[0]?.message).to.equal("line 0.0");
  });

  it("after moto's reset, the history before it does not come back, under a new state id", async () => {
    await start();
    const id = await moto?.stateId();
    await s3().send(new CreateBucketCommand({ Bucket: "before-reset" }));
    await moto?.reset();
    await s3().send(new CreateBucketCommand({ Bucket: "after-reset" }));
    const newId = await moto?.stateId();
    expect(newId).to.not.equal(id);
    await kill();
    const again = await start();
    const buckets = await s3().send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).to.deep.equal(["after-reset"]);
    expect(await again.stateId()).to.equal(newId);
  });
});
