import { createServer } from "node:net";
import { expect } from "chai";
import { GatewayServer } from "../../../src/gateway/server.ts";

const NONE = { status: 404, headers: {}, body: "" };

describe("gateway server", () => {
  it("says which flag changes a port that is already in use", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const routes = { control: async () => undefined, api: async () => NONE, aws: async () => NONE };
      const server = new GatewayServer(routes, () => {});
      const error = await server.listen(port).catch((e: Error) => e);
      expect((error as Error).message).to.equal(
        `Port ${port} on 127.0.0.1 is already in use. Stop what uses it, or choose another with --port <n>.`,
      );
    } finally {
      blocker.close();
    }
  });
});
