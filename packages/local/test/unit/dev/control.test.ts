import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { handleControl } from "../../../src/dev/control.ts";
import { ControlClient, procStat, readDevState, writeDevState } from "../../../src/dev/control-client.ts";
import type { Deployed } from "../../../src/dev/deployed.ts";
import type { StackDeadLetters } from "../../../src/dev/dlq.ts";
import { Faults } from "../../../src/gateway/faults.ts";
import { buildRouting, type Routing } from "../../../src/gateway/routing.ts";
import { GatewayServer } from "../../../src/gateway/server.ts";
import { UnknownNameError } from "../../../src/names.ts";
import type { LocalRuntime } from "../../../src/runtime/local-runtime.ts";
import { fixtureRuntime } from "../../helpers.ts";

const NONE = { status: 404, headers: {}, body: "" };
/** These tests reach no dead-letter queue. */
const NO_QUEUES = {} as StackDeadLetters;

describe("control API and its client", function () {
  this.timeout(30_000);
  let runtime: LocalRuntime;
  /** What the control API sees: nothing until the stack is "deployed". */
  let routing: Routing | undefined;
  let ready: Routing;
  let server: GatewayServer;
  let devDir: string;

  before(async () => {
    runtime = fixtureRuntime([{ fixture: "probe", name: "probe" }]);
    const deployed: Deployed = {
      accountId: "123456789012",
      region: "eu-west-1",
      functions: new Map(),
      apis: [],
      buckets: [],
      tables: [],
      alarms: [],
      resources: [],
      rules: [
        {
          name: "lambdaform-test-Every5",
          arn: "arn:aws:events:eu-west-1:123456789012:rule/lambdaform-test-Every5",
          schedule: "rate(5 minutes)",
          targets: [{ functionName: "lambdaform-test-probe" }],
        },
      ],
    };
    ready = buildRouting(deployed, runtime, { apiThrottling: true });
    server = new GatewayServer(
      {
        control: (path, request) =>
          handleControl({ path, method: request.method, body: request.body }, routing, {
            deadLetters: NO_QUEUES,
          }),
        api: async () => NONE,
        aws: async () => NONE,
      },
      () => {},
    );
    await server.listen(0);
    devDir = mkdtempSync(join(tmpdir(), "lf-control-"));
    writeDevState(devDir, { port: server.port, pid: process.pid });
  });

  after(async () => {
    await server.close();
    await runtime.close();
  });

  it("answers 503 while the stack is still starting, and says so in health", async () => {
    const client = ControlClient.forDevDir(devDir);
    expect(client?.endpoint).to.equal(server.endpoint);
    const health = await fetch(`${server.endpoint}/_lambdaform/health`);
    expect(await health.json()).to.deep.equal({ ok: true, ready: false });
    const error = await client?.trigger("Every5").catch((e: Error) => e);
    expect((error as Error).message).to.contain("still starting");
  });

  it("fires a rule by its short name and returns how each target ended", async () => {
    routing = ready;
    const result = await ControlClient.forDevDir(devDir)?.trigger("Every5");
    expect(result).to.deep.equal({
      rule: "lambdaform-test-Every5",
      results: [{ functionName: "lambdaform-test-probe", status: "succeeded", attempts: 1 }],
    });
  });

  it("raises an unknown rule as the typed error, with the stack's rules as choices", async () => {
    routing = ready;
    const error = await ControlClient.forDevDir(devDir)
      ?.trigger("Nope")
      .catch((e: Error) => e);
    expect(error).to.be.instanceOf(UnknownNameError);
    expect((error as UnknownNameError).choices).to.deep.equal(["lambdaform-test-Every5"]);
    expect((error as Error).message).to.equal('Unknown rule "Nope". Valid choices: lambdaform-test-Every5.');
  });

  it("refuses fault injection unless pnpm dev runs with --faults, saying how to turn it on", async () => {
    const error = await new ControlClient(server.endpoint).faults({}).catch((e: Error) => e);
    expect((error as Error).message).to.contain("start pnpm dev with --faults");
  });

  it("sets, reads and clears faults under --faults, and answers a bad setting 400 naming its field", async () => {
    const faults = new Faults();
    const answer = (body: string) =>
      handleControl({ path: "faults", method: "POST", body: Buffer.from(body) }, undefined, {
        deadLetters: NO_QUEUES,
        faults,
      });
    const set = await answer(JSON.stringify({ unavailable: [{ service: "dynamodb" }] }));
    expect(set?.status).to.equal(200);
    expect(faults.current.unavailable).to.deep.equal([{ service: "dynamodb" }]);
    const bad = await answer(JSON.stringify({ s3Delivery: { copies: 0 } }));
    expect(bad?.status).to.equal(400);
    expect(JSON.parse(String(bad?.body)).message).to.contain('"s3Delivery.copies"');
    expect(faults.current.unavailable).to.have.length(1);
    const read = await answer("");
    expect(JSON.parse(String(read?.body)).faults.unavailable).to.have.length(1);
    await answer("{}");
    expect(faults.current).to.deep.equal({ unavailable: [] });
  });

  it("keeps one state file that says where the stack runs, gone once removed", () => {
    const dir = mkdtempSync(join(tmpdir(), "lf-state-"));
    expect(ControlClient.forDevDir(dir)).to.equal(undefined);
    const remove = writeDevState(dir, { port: 4599, pid: process.pid });
    expect(readDevState(dir)).to.include({ port: 4599, pid: process.pid });
    remove();
    expect(readDevState(dir)).to.equal(undefined);
  });

  it("forgets a state file whose pnpm dev is gone (killed), and one that is not a record", () => {
    const dir = mkdtempSync(join(tmpdir(), "lf-state-"));
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid ?? 0;
    writeDevState(dir, { port: 4599, pid: gone });
    expect(readDevState(dir)).to.equal(undefined);
    expect(existsSync(join(dir, "gateway.json"))).to.equal(false);
    writeFileSync(join(dir, "gateway.json"), "{not json");
    expect(ControlClient.forDevDir(dir)).to.equal(undefined);
    expect(existsSync(join(dir, "gateway.json"))).to.equal(false);
  });

  it("forgets a state file whose pnpm dev is a zombie: killed, its parent gone, never reaped", async function () {
    if (!existsSync("/proc/self/stat")) this.skip();
    // `sleep 0` exits at once; its parent becomes `sleep 30`, which never waits for it: a zombie,
    // as a killed pnpm dev stays where pid 1 does not reap orphans (process_api here, many containers).
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      const zombie = await new Promise<number>((resolve) =>
        parent.stdout?.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim()))),
      );
      for (let i = 0; i < 200 && (procStat(zombie) as { state?: string })?.state !== "Z"; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(procStat(zombie)).to.have.property("state", "Z");
      const dir = mkdtempSync(join(tmpdir(), "lf-state-"));
      writeFileSync(join(dir, "gateway.json"), `${JSON.stringify({ port: 4599, pid: zombie })}\n`);
      expect(readDevState(dir)).to.equal(undefined);
      expect(existsSync(join(dir, "gateway.json"))).to.equal(false);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("forgets a state file whose pid now belongs to another process (started at another time)", function () {
    const own = procStat(process.pid);
    if (typeof own !== "object") this.skip();
    const dir = mkdtempSync(join(tmpdir(), "lf-state-"));
    writeDevState(dir, { port: 4599, pid: process.pid });
    expect(readDevState(dir)).to.deep.equal({ port: 4599, pid: process.pid, started: own.started });
    writeDevState(dir, { port: 4599, pid: process.pid, started: own.started - 1 });
    expect(readDevState(dir)).to.equal(undefined);
  });
});
