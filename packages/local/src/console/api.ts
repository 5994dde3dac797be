/**
 * The console's routes under `/_lambdaform/`: the page and its assets, the JSON API it reads
 * (`api/…`) and the live stream of invocations, log lines and alarm changes (`api/stream`, SSE).
 * Actions the page takes (trigger, redrive) use the control API's own routes; the upload is here.
 * The gateway's front door has already refused cross-site requests and foreign hosts.
 */
import type { ServerResponse } from "node:http";
import type { StackDeadLetters } from "../dev/dlq.ts";
import type { IamMode } from "../gateway/gateway.ts";
import type { Routing } from "../gateway/routing.ts";
import { jsonReply, type Reply } from "../http/reply.ts";
import { CONSOLE_HEADERS, type ConsoleAssets } from "./assets.ts";
import { type ConsoleFeeds, redacted, rowOf } from "./feed.ts";
import { ConsoleInputError, type ConsoleReads } from "./reads.ts";

/** What the console reads beyond the routing of what is deployed now. */
export interface ConsoleContext {
  readonly stage: string;
  readonly iam: IamMode;
  readonly endpoint: () => string;
  readonly feeds: ConsoleFeeds;
  readonly reads: ConsoleReads;
  readonly assets: ConsoleAssets;
  readonly deadLetters: StackDeadLetters;
  /** When a rule fires next on its own (undefined when schedules are off or it cannot run here). */
  readonly nextFire: (rule: string) => Date | undefined;
  /** Sends the metrics the runtime holds to moto now, so a chart shows the last seconds too. */
  readonly flushMetrics: () => Promise<void>;
}

export interface ConsoleRequest {
  readonly path: string;
  readonly method: string;
  readonly body: Buffer;
  readonly query: URLSearchParams;
}

/** Open SSE connections at most: each holds a socket and listeners. */
const MAX_STREAMS = 32;
const HEARTBEAT_MS = 15_000;

const apiReply = (status: number, body: unknown) =>
  jsonReply(status, body, { "cache-control": "no-store", "x-content-type-options": "nosniff" });

/** A whole number from the query, or 0; anything else is bad input naming the parameter. */
function seqParam(query: URLSearchParams, name: string): number {
  const text = query.get(name);
  if (text === null || text === "") return 0;
  if (!/^\d{1,15}$/.test(text))
    throw new ConsoleInputError(`${name}: a whole number, not "${text.slice(0, 40)}"`);
  return Number(text);
}

/** Serves the console; undefined for a path that is not one of its routes. */
export class ConsoleApi {
  private streams = 0;

  constructor(private readonly context: ConsoleContext) {}

  static owns(path: string): boolean {
    return path === "" || path.startsWith("assets/") || path.startsWith("api/");
  }

  async handle(request: ConsoleRequest, routing: Routing | undefined): Promise<Reply | undefined> {
    const { path, method } = request;
    if (path === "" || path.startsWith("assets/"))
      return method === "GET" || method === "HEAD"
        ? this.context.assets.get(path)
        : apiReply(405, { message: "GET only" });
    if (!routing)
      return apiReply(503, {
        message: "the local stack is still starting; the console reloads when it is ready",
      });
    try {
      return await this.route(request, routing);
    } catch (error) {
      if (error instanceof ConsoleInputError) return apiReply(400, { message: error.message });
      return apiReply(502, { message: `the local AWS answered: ${(error as Error).message}` });
    }
  }

  private async route(request: ConsoleRequest, routing: Routing): Promise<Reply | undefined> {
    const { feeds, reads } = this.context;
    const { deployed } = routing;
    const { query, method } = request;
    const route = `${method} ${request.path}`;
    const detail = /^GET api\/invocations\/(\d{1,15})$/.exec(route);
    if (detail) {
      const found = feeds.invocations.detail(Number(detail[1]));
      return found
        ? apiReply(200, found)
        : apiReply(404, { message: "that invocation left the console's window (it keeps the last 500)" });
    }
    switch (route) {
      case "GET api/overview":
        return apiReply(200, this.overview(routing));
      case "GET api/invocations":
        return apiReply(200, { invocations: feeds.invocations.rows(seqParam(query, "after")) });
      case "GET api/logs": {
        const functionName = query.get("function") ?? undefined;
        if (functionName && !routing.runtime.stack.functions.some((f) => f.name === functionName))
          throw new ConsoleInputError(`function: the stack has no function "${functionName.slice(0, 80)}"`);
        return apiReply(200, {
          lines: feeds.logs.lines({
            functionName,
            filter: query.get("filter") ?? undefined,
            after: seqParam(query, "after"),
          }),
        });
      }
      case "GET api/stream":
        return this.stream(query);
      case "GET api/objects":
        return apiReply(200, await reads.objects(this.bucket(routing), query.get("token") || undefined));
      case "POST api/objects":
        return apiReply(200, await reads.upload(this.bucket(routing), parseObject(request.body)));
      case "GET api/rows": {
        const table = deployed.tables[0];
        if (!table) return apiReply(404, { message: "the stack has no DynamoDB table" });
        return apiReply(200, await reads.rows(table, query.get("token") || undefined));
      }
      case "GET api/dlq": {
        const queues = routing.runtime.stack.functions.flatMap((f) =>
          f.async.onFailure ? [f.async.onFailure.queueName] : [],
        );
        return apiReply(200, {
          queues: [...new Set(queues)],
          // A letter's payloads are the events that failed: an API event among them is redacted too.
          letters: (await this.context.deadLetters.list(routing)).map((l) => ({
            ...l,
            record: redacted(l.record),
          })),
        });
      }
      case "GET api/metrics":
        await this.context.flushMetrics();
        return apiReply(
          200,
          await reads.metrics(
            routing.runtime.stack.functions.map((f) => f.name),
            feeds.durations,
          ),
        );
      case "GET api/alarms": {
        const alarms = await reads.alarms(deployed.alarms.map((a) => a.name));
        const history = feeds.alarms.after(0);
        return apiReply(200, {
          alarms: alarms.map((a) => ({
            ...a,
            history: history.filter((h) => h.alarmName === a.name).reverse(),
          })),
        });
      }
      case "GET api/schedules":
        return apiReply(200, {
          rules: deployed.rules.map((r) => ({
            name: r.name,
            schedule: r.schedule ?? null,
            targets: r.targets.map((t) => t.functionName),
            next: this.context.nextFire(r.name)?.toISOString() ?? null,
          })),
        });
      default:
        return request.path.startsWith("api/")
          ? apiReply(404, { message: `no console route ${route}` })
          : undefined;
    }
  }

  private bucket(routing: Routing): string {
    const bucket = routing.deployed.buckets[0];
    if (!bucket) throw new ConsoleInputError("the stack has no S3 bucket");
    return bucket;
  }

  private overview(routing: Routing) {
    const { deployed, runtime } = routing;
    const endpoint = this.context.endpoint();
    const byType = new Map<string, Array<{ name: string; id: string }>>();
    for (const r of deployed.resources) {
      const list = byType.get(r.type) ?? [];
      list.push({ name: r.name, id: r.id });
      byType.set(r.type, list);
    }
    return {
      stage: this.context.stage,
      stack: runtime.stack.name,
      region: deployed.region,
      accountId: deployed.accountId,
      iam: this.context.iam,
      endpoint,
      apis: deployed.apis.flatMap((api) =>
        api.stages.map((s) => ({ name: api.name, stage: s.name, invokeUrl: `${endpoint}/${s.name}/` })),
      ),
      buckets: deployed.buckets,
      tables: deployed.tables,
      functions: runtime.stack.functions.map((f) => ({
        name: f.name,
        memoryMb: f.memoryMb,
        timeoutSeconds: f.timeoutSeconds,
      })),
      resources: [...byType.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, list]) => ({ type, resources: list })),
    };
  }

  /**
   * `api/stream`: SSE of `invocation` rows, `log` lines and `alarm` changes, each as it happens;
   * first a `hello` naming this run (`boot`), then the invocations after `?invocations=` and the
   * lines after `?logs=` it may have missed (all that is kept when `?boot=` names another run).
   */
  private stream(query: URLSearchParams): Reply {
    if (this.streams >= MAX_STREAMS)
      return apiReply(503, {
        message: `the console serves ${MAX_STREAMS} live streams at most: close a tab`,
      });
    const { feeds } = this.context;
    // Numbers seen from another run of pnpm dev say nothing of this one's: then everything kept.
    const sameRun = (query.get("boot") ?? feeds.boot) === feeds.boot;
    const invocations = seqParam(query, "invocations");
    const logs = seqParam(query, "logs");
    const afterInvocations = sameRun ? invocations : 0;
    const afterLogs = sameRun ? logs : 0;
    return {
      status: 200,
      headers: {
        ...CONSOLE_HEADERS,
        "content-type": "text/event-stream; charset=utf-8",
        connection: "keep-alive",
      },
      body: "",
      stream: (res: ServerResponse) => {
        // The client may have gone while the reply was being made: then there is nothing to hold.
        if (res.destroyed) return;
        this.streams += 1;
        const send = (event: string, data: unknown, id?: number) => {
          res.write(`event: ${event}\n${id ? `id: ${id}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
          // A client that stopped reading is dropped rather than buffered without end; it reconnects.
          if (res.writableLength > 1 << 20) res.destroy();
        };
        res.write("retry: 1000\n\n");
        send("hello", { boot: feeds.boot });
        for (const row of feeds.invocations.rows(afterInvocations)) send("invocation", row);
        for (const line of feeds.logs.lines({ after: afterLogs, limit: 1000 })) send("log", line);
        const stops = [
          feeds.invocations.window.listen((kept) => send("invocation", rowOf(kept))),
          feeds.logs.window.listen((line) => send("log", line)),
          feeds.alarms.listen((change) => send("alarm", change)),
        ];
        const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
        heartbeat.unref();
        res.once("close", () => {
          this.streams -= 1;
          clearInterval(heartbeat);
          for (const stop of stops) stop();
        });
      },
    };
  }
}

function parseObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ConsoleInputError("the body must be JSON: {key, contentBase64, contentType?}");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConsoleInputError("the body must be a JSON object: {key, contentBase64, contentType?}");
  return value as Record<string, unknown>;
}
