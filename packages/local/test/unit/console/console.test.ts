import { expect } from "chai";
import { ConsoleApi } from "../../../src/console/api.ts";
import { ConsoleAssets } from "../../../src/console/assets.ts";
import { ConsoleFeeds, redacted } from "../../../src/console/feed.ts";
import { ConsoleReads } from "../../../src/console/reads.ts";
import { percentile, Window } from "../../../src/console/window.ts";
import { handleControl } from "../../../src/dev/control.ts";
import type { Deployed } from "../../../src/dev/deployed.ts";
import type { StackDeadLetters } from "../../../src/dev/dlq.ts";
import { frontDoor } from "../../../src/gateway/front-door.ts";
import { buildRouting, type Routing } from "../../../src/gateway/routing.ts";
import { GatewayServer } from "../../../src/gateway/server.ts";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { originOfEvent } from "../../../src/runtime/types.ts";
import { fixtureRuntime } from "../../helpers.ts";

const NONE = { status: 404, headers: {}, body: "" };

describe("console: what it keeps and shows", () => {
  it("redacts credentials in an API event and in a response that echoes one, as hello-api does", () => {
    const event = {
      httpMethod: "GET",
      headers: { Authorization: "Bearer s3cret", accept: "*/*" },
      multiValueHeaders: { cookie: ["a=1"] },
      queryStringParameters: { "X-Amz-Signature": "sig" },
      requestContext: { identity: { apiKey: "key-1", sourceIp: "127.0.0.1" } },
    };
    const shown = redacted(event) as typeof event;
    expect(shown.headers).to.deep.equal({ Authorization: "[REDACTED]", accept: "*/*" });
    expect(shown.multiValueHeaders.cookie).to.deep.equal(["[REDACTED]"]);
    expect(shown.queryStringParameters["X-Amz-Signature"]).to.equal("[REDACTED]");
    expect(shown.requestContext.identity).to.deep.equal({ apiKey: "[REDACTED]", sourceIp: "127.0.0.1" });
    const response = redacted({ statusCode: 200, body: JSON.stringify({ event_received: event }) }) as {
      body: string;
    };
    expect(response.body).not.to.contain("s3cret");
    expect(response.body).not.to.contain("key-1");
    expect(event.headers.Authorization).to.equal("Bearer s3cret");
  });

  it("redacts a response's Set-Cookie, and an API event inside a JSON body that is an array or starts with space", () => {
    const echoed = { headers: { authorization: "Bearer s3cret" }, requestContext: {} };
    const response = redacted({
      statusCode: 200,
      headers: { "Set-Cookie": "session=s3cret" },
      multiValueHeaders: { "set-cookie": ["a=s3cret", "b=s3cret"] },
      body: JSON.stringify([echoed]),
    }) as { headers: Record<string, string>; multiValueHeaders: Record<string, string[]>; body: string };
    expect(response.headers["Set-Cookie"]).to.equal("[REDACTED]");
    expect(response.multiValueHeaders["set-cookie"]).to.deep.equal(["[REDACTED]", "[REDACTED]"]);
    expect(JSON.stringify(response)).not.to.contain("s3cret");
    const spaced = redacted({ body: `  \n${JSON.stringify({ event: echoed })}` }) as { body: string };
    expect(spaced.body).not.to.contain("s3cret");
    // A body that is not JSON is shown as it is: there is no event in it to redact.
    expect(redacted({ body: "[not json" })).to.deep.equal({ body: "[not json" });
  });

  it("keeps a bounded window, numbered in order, and tells listeners at once", () => {
    const window = new Window<{ n: number }>(3);
    const heard: number[] = [];
    const stop = window.listen((e) => heard.push(e.seq));
    for (let n = 1; n <= 5; n++) window.push({ n });
    stop();
    window.push({ n: 6 });
    expect(window.after(0).map((e) => e.n)).to.deep.equal([4, 5, 6]);
    expect(window.after(5).map((e) => e.seq)).to.deep.equal([6]);
    expect(heard).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it("computes nearest-rank p50 and p99 per minute from the runtime's durations", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).to.equal(2);
    expect(percentile([1, 2, 3, 4], 0.99)).to.equal(4);
    const feeds = new ConsoleFeeds();
    const minute = Date.UTC(2026, 11, 2, 12, 0);
    for (let i = 1; i <= 100; i++) feeds.durations.add("fn", i, minute + i);
    expect(feeds.durations.percentiles("fn", minute + 60_000)).to.deep.equal([
      { time: minute, p50: 50, p99: 99 },
    ]);
  });

  it("tells an invocation's trigger from its event's shape", () => {
    expect(originOfEvent(JSON.stringify({ httpMethod: "GET", requestContext: {} }))).to.equal("api");
    expect(originOfEvent(JSON.stringify({ Records: [{ eventSource: "aws:s3" }] }))).to.equal("s3");
    expect(
      originOfEvent(JSON.stringify({ source: "aws.events", "detail-type": "Scheduled Event" })),
    ).to.equal("schedule");
    expect(originOfEvent(JSON.stringify({ action: "echo" }))).to.equal("invoke");
  });

  it("lets a top-level navigation from elsewhere load the page, but nothing else cross-site", () => {
    const at = (path: string, headers: Record<string, string>, method = "GET") =>
      frontDoor(
        { method, headers, url: new URL(path, "http://127.0.0.1:4566"), host: "127.0.0.1:4566" },
        "control",
        undefined,
      )?.status;
    const navigate = {
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "navigate",
      "sec-fetch-dest": "document",
    };
    expect(at("/_lambdaform/", navigate)).to.equal(undefined);
    expect(at("/_lambdaform/", { ...navigate, "sec-fetch-dest": "iframe" })).to.equal(403);
    expect(at("/_lambdaform/api/overview", navigate)).to.equal(403);
    expect(
      at("/_lambdaform/api/overview", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" }),
    ).to.equal(403);
    expect(at("/_lambdaform/", navigate, "POST")).to.equal(403);
  });
});

describe("console API over HTTP", function () {
  this.timeout(30_000);
  let runtime: LocalRuntime;
  let routing: Routing;
  let server: GatewayServer;
  const feeds = new ConsoleFeeds();

  before(async () => {
    runtime = fixtureRuntime([{ fixture: "probe", name: "probe" }], {
      onInvocation: (report) => feeds.invocation(report),
    });
    const deployed: Deployed = {
      accountId: "123456789012",
      region: "eu-west-1",
      functions: new Map(),
      apis: [],
      buckets: ["uploads-bucket"],
      tables: ["FileProcessingLog"],
      alarms: [],
      resources: [{ type: "aws_s3_bucket", name: "uploads", id: "uploads-bucket" }],
      rules: [],
    };
    routing = buildRouting(deployed, runtime, { apiThrottling: true });
    // No local AWS behind it: every call here is refused before it would reach one.
    const reads = new ConsoleReads(
      {
        endpoint: "http://127.0.0.1:9",
        region: "eu-west-1",
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
        forcePathStyle: true,
      } as never,
      () => "http://127.0.0.1:9",
    );
    const api = new ConsoleApi({
      stage: "test",
      iam: "enforce",
      endpoint: () => server.endpoint,
      feeds,
      reads,
      assets: new ConsoleAssets(),
      deadLetters: {
        list: async () => [
          {
            id: "m-1",
            queueName: "probe-dlq",
            receivedAt: "2026-12-02T12:00:00.000Z",
            record: {
              requestContext: { functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:probe" },
              requestPayload: { httpMethod: "GET", headers: { Authorization: "Bearer s3cret" } },
            },
          },
        ],
      } as unknown as StackDeadLetters,
      nextFire: () => undefined,
      flushMetrics: async () => {},
    });
    server = new GatewayServer(
      {
        control: (path, request) =>
          handleControl(
            { path, method: request.method, body: request.body, query: request.url.searchParams },
            routing,
            { deadLetters: {} as StackDeadLetters, console: api },
          ),
        api: async () => NONE,
        aws: async () => NONE,
      },
      () => {},
    );
    await server.listen(0);
  });

  after(async () => {
    await server.close();
    await runtime.close();
  });

  const url = (path: string) => `${server.endpoint}/_lambdaform/${path}`;
  const token = (key: unknown) => Buffer.from(JSON.stringify(key)).toString("base64url");
  const post = (path: string, body: string) =>
    fetch(url(path), { method: "POST", headers: { "content-type": "application/json" }, body });

  it("serves the built page from memory with headers that keep it out of frames and foreign scripts", async () => {
    const page = await fetch(url(""));
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-type")).to.contain("text/html");
    expect(page.headers.get("content-security-policy")).to.contain("frame-ancestors 'none'");
    expect(page.headers.get("content-security-policy")).to.contain("script-src 'self'");
    expect(page.headers.get("x-frame-options")).to.equal("DENY");
    const html = await page.text();
    const script = /src="(assets\/[^"]+\.js)"/.exec(html)?.[1] ?? "";
    const js = await fetch(url(script));
    expect(js.status).to.equal(200);
    expect(js.headers.get("content-type")).to.contain("text/javascript");
    expect((await fetch(url("assets/nope.js"))).status).to.equal(404);
  });

  it("answers bad input with 400 naming the field", async () => {
    const cases: Array<[Promise<Response>, string]> = [
      [fetch(url("api/invocations?after=abc")), "after:"],
      [fetch(url("api/stream?logs=-1")), "logs:"],
      [fetch(url("api/stream?boot=0123abcd&invocations=abc")), "invocations:"],
      [fetch(url("api/rows?token=not-a-token")), "token:"],
      // JSON, but not a table's key: each value one {S} or {N}, as DynamoDB's own LastEvaluatedKey.
      [fetch(url(`api/rows?token=${token({ id: 1 })}`)), "token:"],
      [fetch(url(`api/rows?token=${token({ id: { S: "a", N: "1" } })}`)), "token:"],
      [fetch(url(`api/rows?token=${token({ id: { M: {} } })}`)), "token:"],
      [fetch(url("api/logs?function=nope")), 'function: the stack has no function "nope"'],
      [post("api/objects", "{}"), "key:"],
      [post("api/objects", JSON.stringify({ key: "a.txt", contentBase64: "%%%" })), "contentBase64:"],
      [post("api/objects", JSON.stringify({ key: "k".repeat(1025), contentBase64: "" })), "key: over"],
      [post("api/objects", JSON.stringify({ key: "a", contentBase64: "", contentType: 3 })), "contentType:"],
      [post("api/objects", "[1]"), "must be a JSON object"],
      [post("api/objects", "not json"), "must be JSON"],
    ];
    for (const [answer, field] of cases) {
      const response = await answer;
      const body = (await response.json()) as { message: string };
      expect(response.status, field).to.equal(400);
      expect(body.message).to.contain(field);
    }
    expect((await fetch(url("api/nothing"))).status).to.equal(404);
    expect((await fetch(url("api/invocations/999999"))).status).to.equal(404);
  });

  it("streams an invocation to an open console as it ends, then shows it whole", async () => {
    const response = await fetch(url("api/stream"));
    expect(response.headers.get("content-type")).to.contain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const invoked = await runtime.function("probe").invoke({ action: "echo" });
    const ended = Date.now();
    while (!text.includes("event: invocation")) text += decoder.decode((await reader.read()).value);
    const arrivedMs = Date.now() - ended;
    await reader.cancel();
    const data = /event: invocation\ndata: (.+)\n/.exec(text)?.[1] ?? "{}";
    const row = JSON.parse(data) as { seq: number; requestId: string; origin: string; status: string };
    expect(row).to.include({ requestId: invoked.requestId, origin: "invoke", status: "ok" });
    expect(arrivedMs).to.be.below(500);
    const detail = (await (await fetch(url(`api/invocations/${row.seq}`))).json()) as {
      logs: string[];
      event: unknown;
    };
    expect(detail.event).to.deep.equal({ action: "echo" });
    expect(detail.logs[0]).to.match(/^START RequestId/);
  });

  it("shows a dead letter's payload redacted", async () => {
    const answer = await fetch(url("api/dlq"));
    const text = await answer.text();
    expect(answer.status, text).to.equal(200);
    expect(text).not.to.contain("s3cret");
    expect(JSON.parse(text).letters[0].record.requestPayload.headers).to.deep.equal({
      Authorization: "[REDACTED]",
    });
  });

  it("names its run first, and sends a page from another run everything kept, not what follows its numbers", async () => {
    await runtime.function("probe").invoke({ action: "echo" });
    const newest = feeds.invocations.rows().at(-1)?.seq ?? 0;
    /** The events of a stream's first 300 ms. */
    const opening = async (query: string) => {
      const controller = new AbortController();
      const response = await fetch(url(`api/stream?${query}`), { signal: controller.signal });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = "";
      const stop = setTimeout(() => controller.abort(), 300);
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
      } catch {
        // aborted: the 300 ms are up
      }
      clearTimeout(stop);
      return [...text.matchAll(/event: (\w+)\ndata: (.+)\n/g)].map(([, event, data]) => ({
        event,
        data: JSON.parse(data ?? "null") as { boot?: string; seq?: number },
      }));
    };
    const first = await opening("");
    expect(first[0]?.event).to.equal("hello");
    expect(first[0]?.data.boot)
      .to.equal(feeds.boot)
      .and.match(/^[0-9a-f]{8}$/);
    const sameRun = await opening(`invocations=${newest}&boot=${feeds.boot}`);
    expect(sameRun.filter((e) => e.event === "invocation")).to.deep.equal([]);
    const otherRun = await opening(`invocations=${newest}&boot=0123abcd`);
    expect(otherRun.filter((e) => e.event === "invocation").map((e) => e.data.seq)).to.include(newest);
  });
});
