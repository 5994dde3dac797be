import { once } from "node:events";
import { Agent, createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { LogShipper } from "../../../src/dev/sinks.ts";

/** The most lines the shipper keeps waiting (sinks.ts's MAX_PENDING_EVENTS). */
const BOUND = 20_000;

/** A moto that answers nothing until `release()`, as moto does while it pickles its snapshot. */
async function stalledMoto() {
  const held: ServerResponse[] = [];
  const putBodies: Array<{ logStreamName: string; logEvents: Array<{ message: string }> }> = [];
  let stalled = true;
  const answer = (res: ServerResponse) =>
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      if (String(req.headers["x-amz-target"]).endsWith("PutLogEvents"))
        putBodies.push(JSON.parse(Buffer.concat(parts).toString("utf8")));
      if (stalled) held.push(res);
      else answer(res);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const agent = new Agent({ keepAlive: true });
  return {
    config: {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      forcePathStyle: true as const,
      requestHandler: { httpAgent: agent },
    },
    putBodies,
    release() {
      stalled = false;
      for (const res of held.splice(0)) answer(res);
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("log shipping while moto does not answer", () => {
  it(`keeps at most ${BOUND} lines waiting, and says how many it dropped`, async () => {
    // Prepare: ten environments' streams, and a moto that holds every call.
    const moto = await stalledMoto();
    const errors: string[] = [];
    const shipper = new LogShipper(moto.config as never, (m) => errors.push(m));
    const streams = Array.from(
      { length: 10 },
      (_, i) => `2026/01/01/[$LATEST]${String(i).padStart(32, "0")}`,
    );
    try {
      // Act: the first thousand lines of one stream start a flush, which then waits on moto…
      for (let i = 0; i < 1000; i++) shipper.add("fn", streams[0] as string, `line ${i}`);
      await tick();
      // …while the functions write 100,000 more lines (about a minute of the api-load scenario).
      for (let i = 0; i < 100_000; i++) shipper.add("fn", streams[i % 10] as string, `line ${i}`);
      const waiting = (shipper as unknown as { pendingEvents: number }).pendingEvents;
      // Once moto answers, every stream gets the lines kept and one line saying how many were not.
      moto.release();
      await shipper.close();
      const shipped = moto.putBodies.flatMap((b) => b.logEvents.map((e) => e.message));
      const lines = shipped.filter((m) => !m.startsWith("[lambdaform]"));
      const notices = shipped.filter((m) => m.startsWith("[lambdaform]"));
      // Assess: what waited was bounded (not all 100,000 lines); the rest was counted, per stream.
      expect(waiting).to.be.at.most(BOUND);
      expect(lines).to.have.length(1000 + BOUND);
      expect(notices).to.have.length(10);
      const counted = notices.reduce((n, m) => n + Number(/^\[lambdaform\] (\d+) /.exec(m)?.[1]), 0);
      expect(counted).to.equal(100_000 - BOUND);
      expect(errors.join("\n")).to.match(/80000 function log lines were not written/);
    } finally {
      moto.release();
      await moto.close();
    }
  });
});
