import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from "@aws-sdk/client-cloudwatch";
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { synthesize, TERRAFORM_INSTALL_HINT } from "@lambdaform/infra";
import { parsePlan, renderComment } from "@lambdaform/review";
import {
  findExecutable,
  findMotoPython,
  freePort,
  MOTO_INSTALL_HINT,
  requirePrerequisite,
  scratchDirs,
} from "@lambdaform/testkit";
import { expect } from "chai";
import { planCheckOf } from "../../src/dev/control.ts";
import { type DevStack, startDev } from "../../src/dev/dev.ts";
import { devTestOptions, stackWithoutStatement } from "../helpers.ts";

const CLI = fileURLToPath(new URL("../../bin/lambdaform.mjs", import.meta.url));

const until = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

// The seed's whole flow on the real stack: real terraform apply to moto, real functions, real clients.
describe("pnpm dev: the whole system on moto", function () {
  this.timeout(600_000);
  let dev: DevStack | undefined;
  let stackDir: string;
  let dataDir: string;
  let dataRoot: string;
  let port: number;
  const lines: string[] = [];
  const scratch = scratchDirs();
  const admin = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  const clients = () => {
    const endpoint = dev?.gateway.endpoint ?? "";
    return {
      s3: new S3Client({ ...admin, endpoint, forcePathStyle: true }),
      dynamodb: new DynamoDBClient({ ...admin, endpoint }),
      cloudwatch: new CloudWatchClient({ ...admin, endpoint }),
      ec2: new EC2Client({ ...admin, endpoint }),
      sqs: new SQSClient({ ...admin, endpoint }),
    };
  };
  const start = () => startDev(devTestOptions(stackDir, dataDir, port, lines));
  const bucket = () => dev?.current().deployed.buckets[0] ?? "";
  const table = () => dev?.current().deployed.tables[0] ?? "";
  const row = async (key: string) =>
    (await clients().dynamodb.send(new GetItemCommand({ TableName: table(), Key: { file_key: { S: key } } })))
      .Item;

  /** `pnpm dlq …`, run asynchronously: the stack is served by this very process. */
  const dlq = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [CLI, "dlq", ...args, "--stack-dir", stackDir, "--data-dir", dataRoot],
        {
          env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c));
      child.stderr.on("data", (c: Buffer) => (stderr += c));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });

  /** Another program (the AWS CLI), run asynchronously, with fake credentials; throws unless it exits 0. */
  const run = (command: string, args: string[]) =>
    new Promise<{ stdout: string }>((resolve, reject) => {
      const child = spawn(command, args, {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_DEFAULT_REGION: "us-east-1",
        },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c));
      child.stderr.on("data", (c: Buffer) => (stderr += c));
      child.on("error", reject);
      child.on("close", (status) =>
        status === 0 ? resolve({ stdout }) : reject(new Error(`${command} exited ${status}: ${stderr}`)),
      );
    });

  before(async function () {
    requirePrerequisite(this, "Python 3 with moto's server", findMotoPython(), MOTO_INSTALL_HINT);
    requirePrerequisite(this, "terraform", findExecutable("terraform"), TERRAFORM_INSTALL_HINT);
    const outdir = scratch.make("lf-dev-synth-");
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    stackDir = join(outdir, "stacks", "lambdaform-dev");
    dataRoot = scratch.make("lf-dev-data-");
    // Where the CLI finds a running stack of stage dev under --data-dir <dataRoot>.
    dataDir = join(dataRoot, "dev", "dev");
    port = await freePort();
    dev = await start();
  });

  after(async () => {
    await dev?.stop();
    scratch.removeAll();
  });

  it("deploys all resources of the stack with a real terraform apply", () => {
    // The two queues are created before the apply and imported (apply-shortcuts.ts).
    expect(dev?.apply.changes).to.deep.equal({ add: 50, change: 0, destroy: 0, imported: 2 });
    expect(lines.some((l) => l.includes("DenyInsecureTransport would deny every object call"))).to.equal(
      true,
    );
  });

  it("serves GET /prod/hello with the seed's fields", async () => {
    const response = await fetch(`${dev?.gateway.endpoint}/prod/hello`, {
      headers: { "User-Agent": "curl/8.5.0" },
    });
    expect(response.status).to.equal(200);
    expect(response.headers.get("access-control-allow-origin")).to.equal("*");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).to.include({
      message: "Hello from AWS Lambda!",
      source_ip: "127.0.0.1",
      user_agent: "curl/8.5.0",
    });
    expect(body).to.have.keys([
      "message",
      "timestamp",
      "source_ip",
      "user_agent",
      "request_id",
      "event_received",
    ]);
  });

  it("publishes Lambda's and API Gateway's own metrics, which aws cloudwatch get-metric-statistics reads", async function () {
    // Prepare: the AWS CLI as a user runs it against pnpm dev.
    const aws = requirePrerequisite(
      this,
      "aws",
      findExecutable("aws"),
      "install the AWS CLI (apt-get install awscli, or pip install awscli)",
    );
    const apiName = dev?.current().deployed.apis[0]?.name ?? "";
    const statistic = async (namespace: string, metric: string, ...dimensions: string[]) => {
      const now = Date.now();
      const { stdout } = await run(aws, [
        "--endpoint-url",
        dev?.gateway.endpoint ?? "",
        "cloudwatch",
        "get-metric-statistics",
        "--namespace",
        namespace,
        "--metric-name",
        metric,
        "--dimensions",
        ...dimensions,
        "--start-time",
        new Date(now - 3_600_000).toISOString(),
        "--end-time",
        new Date(now + 60_000).toISOString(),
        "--period",
        "3600",
        "--statistics",
        "Sum",
        "--output",
        "json",
      ]);
      const sum = (JSON.parse(stdout).Datapoints as Array<{ Sum: number }>)[0]?.Sum;
      return sum && sum > 0 ? sum : undefined;
    };
    // Act: two requests (one before this test); the metrics are sent every few seconds.
    await fetch(`${dev?.gateway.endpoint}/prod/hello`);
    // Assess
    const invocations = await until(
      () => statistic("AWS/Lambda", "Invocations", "Name=FunctionName,Value=lambdaform-dev-hello-api"),
      20_000,
    );
    expect(invocations).to.be.at.least(2);
    const count = await until(
      () => statistic("AWS/ApiGateway", "Count", `Name=ApiName,Value=${apiName}`, "Name=Stage,Value=prod"),
      20_000,
    );
    expect(count).to.be.at.least(2);
  });

  it("turns an upload to uploads/*.txt into a FileProcessingLog row with the right size, and ignores others", async () => {
    // Act
    const { s3 } = clients();
    await s3.send(
      new PutObjectCommand({ Bucket: bucket(), Key: "uploads/test-file.txt", Body: "Hello Lambda!\n" }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: "notes/x.txt", Body: "no" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: "uploads/x.csv", Body: "no" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: "uploads/xtxt", Body: "no" }));
    // Assess
    const item = await until(() => row("uploads/test-file.txt"));
    expect(item).to.deep.include({
      file_size: { N: "14" },
      status: { S: "processed" },
      bucket_name: { S: bucket() },
    });
    await dev?.current().runtime.drain();
    for (const key of ["notes/x.txt", "uploads/x.csv", "uploads/xtxt"])
      expect(await row(key), key).to.equal(undefined);
  });

  it("keeps keys with spaces, + and unicode exact through the notification", async () => {
    const key = "uploads/my report+2024 日本語 café.txt";
    await clients().s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: "x" }));
    expect((await until(() => row(key)))?.file_size).to.deep.equal({ N: "1" });
  });

  it("publishes RunningInstances equal to the running instances when the schedule fires", async () => {
    // Prepare
    const { ec2, cloudwatch } = clients();
    const described = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["running"] }] }),
    );
    const running = (described.Reservations ?? []).reduce((n, r) => n + (r.Instances?.length ?? 0), 0);
    // Act
    const fired = await dev?.trigger("EC2MonitoringSchedule");
    // Assess
    expect(fired?.results).to.deep.equal([
      { functionName: "lambdaform-dev-ec2-monitor", status: "succeeded", attempts: 1 },
    ]);
    const stats = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "Custom/EC2",
        MetricName: "RunningInstances",
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 3_600_000),
        Period: 300,
        Statistics: ["Maximum"],
      }),
    );
    expect(running).to.equal(3);
    expect(stats.Datapoints?.map((d) => d.Maximum)).to.deep.equal([running]);
  });

  it("writes function logs into the function's CloudWatch Logs group", async () => {
    const { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } = await import(
      "@aws-sdk/client-cloudwatch-logs"
    );
    const logs = new CloudWatchLogsClient({ ...admin, endpoint: dev?.gateway.endpoint });
    const group = "/aws/lambda/lambdaform-dev-s3-processor";
    const messages = await until(async () => {
      const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
      const all: string[] = [];
      for (const s of streams.logStreams ?? []) {
        const events = await logs.send(
          new GetLogEventsCommand({ logGroupName: group, logStreamName: s.logStreamName }),
        );
        all.push(...(events.events ?? []).map((e) => e.message ?? ""));
      }
      return all.some((m) => m.startsWith("REPORT")) ? all : undefined;
    });
    expect(messages.some((m) => m.includes('"recorded upload"'))).to.equal(true);
    // moto's own attempt to run the function (it has no Docker) must not leave its error there.
    expect(messages.filter((m) => m.includes("error running docker"))).to.deep.equal([]);
  });

  it("denies a call the role no longer allows, naming the missing action and resource", async () => {
    // Prepare: a copy of the synthesized stack without the processor's WriteFileLog statement, applied.
    const copyDir = stackWithoutStatement(stackDir, "WriteFileLog");
    // As an infra reload applies an edit: no read-back of what moto holds first.
    const applied = await dev?.redeploy(copyDir, { refresh: false });
    expect(applied?.changes.change).to.equal(1);
    // Act
    const key = "uploads/denied.txt";
    await clients().s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: "x" }));
    // Assess
    const denial = await until(async () =>
      lines.find((l) => l.startsWith("IAM denied: lambdaform-dev-s3-processor")),
    );
    expect(denial).to.contain(
      `is missing dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/${table()}`,
    );
    const failure = await until(async () =>
      lines.find((l) => l.includes("AccessDeniedException") && l.includes("[lambdaform-dev-s3-processor]")),
    );
    expect(failure).to.contain("dynamodb:PutItem");
    // Restore the shipped policy for the tests that follow.
    expect((await dev?.redeploy(stackDir, { refresh: false }))?.changes.change).to.equal(1);
  });

  it("gives real update, replace and delete plans of a changed stack, which the review comment flags", async () => {
    // Prepare: a changed copy of the stack: more memory, a renamed alarm, an alarm gone, a narrower grant.
    const copyRoot = mkdtempSync(join(tmpdir(), "lf-dev-plan-"));
    const copyDir = join(copyRoot, "stacks", "lambdaform-dev");
    cpSync(stackDir, copyDir, { recursive: true });
    const file = join(copyDir, "cdk.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8"));
    const fn = Object.values(
      json.resource.aws_lambda_function as Record<string, { function_name: string; memory_size: number }>,
    ).find((f) => f.function_name.endsWith("hello-api"));
    if (fn) fn.memory_size = 512;
    const alarms = json.resource.aws_cloudwatch_metric_alarm as Record<string, { alarm_name: string }>;
    delete alarms[Object.keys(alarms).find((k) => k.includes("hello-api-throttles")) ?? ""];
    const errors = alarms[Object.keys(alarms).find((k) => k.includes("hello-api-errors")) ?? ""];
    if (errors) errors.alarm_name = `${errors.alarm_name}-renamed`;
    for (const doc of Object.values(json.data.aws_iam_policy_document) as Array<{
      statement: Array<{ sid?: string; actions: string[] }>;
    }>) {
      for (const s of doc.statement) if (s.sid === "ReadUploads") s.actions = ["s3:GetObject"];
    }
    writeFileSync(file, JSON.stringify(json));
    // Act
    const plan = await dev?.plan(copyDir);
    const comment = renderComment(parsePlan(JSON.stringify(plan), "lambdaform-dev"));
    // Assess: these changes and nothing else (the queues created before the first apply and
    // imported, and the code taken from S3, plan as Terraform itself made them), and no drift.
    expect(comment).to.contain("**Plan: 1 to add, 2 to change, 2 to destroy.**");
    expect(planCheckOf(plan ?? {}).drift).to.deep.equal([]);
    expect(comment).to.match(
      /> - replace `aws_cloudwatch_metric_alarm\.alarms_hello-api-errors_\w+` — replace because cannot update; forced by `alarm_name`/,
    );
    expect(comment).to.match(/> - destroy `aws_cloudwatch_metric_alarm\.alarms_hello-api-throttles_\w+`/);
    expect(comment).to.match(/statement ReadUploads \(changed\) @@\n- Action: {3}s3:GetObjectVersion/);
    expect(comment).to.match(
      /\| update \| `aws_lambda_function\.hello-api_function_\w+` \| `memory_size` \|/,
    );
  });

  it("restarts with the kept data directory: nothing lost, nothing re-applied", async () => {
    // Prepare: the denied upload above has failed its retries into the DLQ by now.
    const deadLetter = async () => {
      const { sqs } = clients();
      const { QueueUrl } = await sqs.send(
        new GetQueueUrlCommand({ QueueName: "lambdaform-dev-s3-processor-dlq" }),
      );
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      return Messages.find((m) => m.Body?.includes("uploads/denied.txt")) ? true : undefined;
    };
    await until(deadLetter, 30_000);
    await dev?.stop();
    // Act
    dev = await start();
    // Assess: objects, rows, the dead letter, metric data and log events are all there; no apply ran.
    expect(dev.apply.skipped).to.equal(true);
    expect(dev.apply.changes).to.deep.equal({ add: 0, change: 0, destroy: 0 });
    expect(lines.some((l) => /restored a snapshot of \d+ writes/.test(l))).to.equal(true);
    expect(await row("uploads/test-file.txt")).to.deep.include({ file_size: { N: "14" } });
    const objects = await clients().s3.send(
      new ListObjectsV2Command({ Bucket: bucket(), Prefix: "uploads/" }),
    );
    expect(objects.Contents?.map((o) => o.Key)).to.include("uploads/test-file.txt");
    expect(await deadLetter()).to.equal(true);
    const stats = await clients().cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "Custom/EC2",
        MetricName: "RunningInstances",
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 3_600_000),
        Period: 300,
        Statistics: ["Maximum"],
      }),
    );
    expect(stats.Datapoints?.map((d) => d.Maximum)).to.deep.equal([3]);
    const { CloudWatchLogsClient, FilterLogEventsCommand } = await import("@aws-sdk/client-cloudwatch-logs");
    const events = await new CloudWatchLogsClient({ ...admin, endpoint: dev.gateway.endpoint }).send(
      new FilterLogEventsCommand({ logGroupName: "/aws/lambda/lambdaform-dev-s3-processor" }),
    );
    expect(events.events?.some((e) => e.message?.includes('"recorded upload"'))).to.equal(true);
    expect((await fetch(`${dev.gateway.endpoint}/prod/hello`)).status).to.equal(200);
  });

  it("applies again at the next start when a file of the stack changed", async () => {
    // Prepare: a changed stack (hello-api's timeout) while the stack is down.
    await dev?.stop();
    const file = join(stackDir, "cdk.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8"));
    for (const fn of Object.values(json.resource.aws_lambda_function) as Array<Record<string, unknown>>)
      if (String(fn.function_name).endsWith("hello-api")) fn.timeout = 4;
    writeFileSync(file, JSON.stringify(json));
    // Act
    dev = await start();
    // Assess
    expect(dev.apply.skipped).to.equal(false);
    expect(dev.apply.changes).to.deep.equal({ add: 0, change: 1, destroy: 0 });
    expect(dev.current().runtime.function("hello-api").spec.timeoutSeconds).to.equal(4);
  });

  it("a web page cannot read or change the stack: cross-site requests refused, moto's control API not served", async () => {
    // Prepare: what a page can send without a preflight (text/plain, its own Origin), signed-looking.
    const endpoint = dev?.gateway.endpoint ?? "";
    const page = (method: string, path: string, extra: Record<string, string>, body?: string) =>
      fetch(`${endpoint}${path}`, {
        method,
        headers: { origin: "http://evil.example", "content-type": "text/plain", ...extra },
        body,
      });
    const signed = (service: string) => ({
      authorization: `AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
    });
    const before = await clients().s3.send(new ListObjectsV2Command({ Bucket: bucket() }));
    // Act
    const reads = [
      await page("GET", `/${bucket()}?list-type=2`, signed("s3")),
      await page(
        "POST",
        "/",
        { ...signed("dynamodb"), "x-amz-target": "DynamoDB_20120810.Scan" },
        JSON.stringify({ TableName: table() }),
      ),
    ];
    const writes = [
      await page("PUT", `/${bucket()}/uploads/from-a-page.txt`, signed("s3"), "x"),
      await page("POST", "/moto-api/reset", {}, "x"),
      await page("POST", "/_lambdaform/trigger/EC2MonitoringSchedule", {}, "{}"),
    ];
    const motoApi = await fetch(`${endpoint}/moto-api/data.json`);
    // Assess: nothing read, nothing changed.
    for (const reply of [...reads, writes[0], writes[2]]) expect(reply?.status).to.equal(403);
    expect(writes[1]?.status).to.equal(404);
    expect(motoApi.status).to.equal(404);
    for (const reply of [...reads, ...writes, motoApi]) expect(await reply?.text()).to.not.contain(table());
    const after = await clients().s3.send(new ListObjectsV2Command({ Bucket: bucket() }));
    expect(after.KeyCount).to.equal(before.KeyCount);
    expect(after.Contents?.map((o) => o.Key)).to.not.include("uploads/from-a-page.txt");
  });

  it("pnpm dlq lists the stack's real SQS dead letters and redrives one, deleting it once its invocation succeeds", async () => {
    // Prepare: the denied upload's dead letter; the permission it lacked is back.
    const listed = await dlq(["list"]);
    expect(listed.status, listed.stderr).to.equal(0);
    expect(listed.stderr).to.contain("using the local stack of `pnpm dev` for stage dev");
    const letter = listed.stdout.split("\n").find((l) => l.startsWith("lambdaform-dev-s3-processor-dlq\t"));
    expect(letter).to.match(/\tRetriesExhausted after 3\tRecordProcessingError: .*AccessDeniedException/);
    // Act
    const redriven = await dlq(["redrive", "lambdaform-dev-s3-processor-dlq"]);
    // Assess: the row is written, the message gone.
    expect(redriven.status, redriven.stderr).to.equal(0);
    expect(redriven.stderr).to.match(
      /redrove 1 event\(s\): 1 succeeded \(deleted\), 0 failed again \(kept\)/,
    );
    expect(await row("uploads/denied.txt")).to.deep.include({ status: { S: "processed" } });
    expect((await dlq(["list"])).stderr).to.contain("0 dead letter(s)");
  });

  it("pnpm dlq redrive keeps a message that is not an invocation record, visible, saying why", async () => {
    // Prepare: something else put a message into the on-failure queue.
    const { sqs } = clients();
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: "lambdaform-dev-s3-processor-dlq" }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "not a record" }));
    // Act
    const redriven = await dlq(["redrive", "lambdaform-dev-s3-processor-dlq"]);
    // Assess: reported as failed, named; still in the queue and visible at once.
    expect(redriven.stderr).to.match(/0 succeeded \(deleted\), 1 failed again \(kept\)/);
    expect(redriven.stdout + redriven.stderr).to.contain("is not JSON: not an invocation record");
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(received.Messages?.map((m) => m.Body)).to.deep.equal(["not a record"]);
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages?.[0]?.ReceiptHandle }),
    );
  });

  it("sends a failing processor event to the DLQ in moto after its retries", async () => {
    // Prepare: the table disappears, so every attempt fails.
    const { s3, dynamodb, sqs } = clients();
    await dynamodb.send(new DeleteTableCommand({ TableName: table() }));
    // Act
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: "uploads/doomed.txt", Body: "x" }));
    // Assess
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: "lambdaform-dev-s3-processor-dlq" }),
    );
    const message = await until(async () => {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      return received.Messages?.find((m) => m.Body?.includes("doomed.txt"));
    }, 30_000);
    const record = JSON.parse(message.Body ?? "{}");
    expect(record.requestContext).to.deep.include({
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    });
    expect(record.responsePayload.errorMessage).to.contain("ResourceNotFoundException");
  });

  it("puts the processor's Errors alarm, as deployed, into ALARM after those failures", async () => {
    // Act: the alarms are evaluated every 10 s when schedules run; this suite evaluates them itself.
    await dev?.evaluateAlarms();
    // Assess
    const { cloudwatch } = clients();
    const { MetricAlarms = [] } = await cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNames: ["lambdaform-dev-s3-processor-errors", "lambdaform-dev-hello-api-errors"],
      }),
    );
    const states = Object.fromEntries(MetricAlarms.map((a) => [a.AlarmName, a.StateValue]));
    expect(states).to.deep.equal({
      "lambdaform-dev-s3-processor-errors": "ALARM",
      "lambdaform-dev-hello-api-errors": "OK",
    });
    expect(MetricAlarms.find((a) => a.StateValue === "ALARM")?.StateReason).to.match(/^Threshold Crossed/);
    expect(
      lines.some((l) => l.includes("alarm lambdaform-dev-s3-processor-errors:") && l.includes("→ ALARM")),
    ).to.equal(true);
  });
});
