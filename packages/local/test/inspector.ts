import { Session } from "node:inspector";

type Paused = {
  reason: string;
  callFrames: Array<{
    url: string;
    location: { scriptId: string; lineNumber: number; columnNumber: number };
  }>;
};

/**
 * A debugger client, as VS Code or Chrome DevTools is one, on this process's inspector: it reaches
 * the execution environments' worker threads through the NodeWorker domain and speaks the
 * protocol to them (set a breakpoint, see the pause, resume).
 */
export class DebuggerClient {
  private readonly session = new Session();
  private readonly workers = new Map<string, string>();
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly pauses: Array<{ sessionId: string; paused: Paused }> = [];
  private readonly waiters: Array<() => void> = [];
  readonly scripts: Array<{ url: string; sourceMapURL?: string }> = [];
  private nextId = 1;

  constructor() {
    this.session.connect();
    this.session.on("NodeWorker.attachedToWorker", (message) => {
      const { sessionId, workerInfo } = message.params as {
        sessionId: string;
        workerInfo: { workerId: string };
      };
      this.workers.set(workerInfo.workerId, sessionId);
      void this.send(sessionId, "Debugger.enable");
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.session.on("NodeWorker.detachedFromWorker", (message) => {
      const { sessionId } = message.params as { sessionId: string };
      for (const [workerId, id] of this.workers) if (id === sessionId) this.workers.delete(workerId);
    });
    this.session.on("NodeWorker.receivedMessageFromWorker", (message) => {
      const { sessionId, message: text } = message.params as { sessionId: string; message: string };
      const m = JSON.parse(text) as {
        id?: number;
        result?: unknown;
        error?: unknown;
        method?: string;
        params?: unknown;
      };
      if (m.id !== undefined) {
        this.pending.get(m.id)?.(m.result ?? m.error);
        this.pending.delete(m.id);
      } else if (m.method === "Debugger.paused") {
        this.pauses.push({ sessionId, paused: m.params as Paused });
        for (const wake of this.waiters.splice(0)) wake();
      } else if (m.method === "Debugger.scriptParsed") {
        this.scripts.push(m.params as { url: string; sourceMapURL?: string });
      }
    });
    this.session.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
  }

  /** Sends a command to a worker; a worker that ended meanwhile answers nothing (undefined after 2 s). */
  send(sessionId: string, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, 2000).unref();
      this.session.post("NodeWorker.sendMessageToWorker", {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  }

  /** Sets a breakpoint in every worker attached now and later, as an IDE does. */
  async setBreakpointByUrl(params: {
    urlRegex: string;
    lineNumber: number;
    columnNumber?: number;
  }): Promise<void> {
    const set = new Set<string>();
    const apply = async () => {
      for (const sessionId of this.workers.values())
        if (!set.has(sessionId)) {
          set.add(sessionId);
          await this.send(sessionId, "Debugger.setBreakpointByUrl", params);
        }
    };
    await apply();
    this.session.on("NodeWorker.attachedToWorker", () => void apply());
  }

  /** The next pause of any worker. */
  async nextPause(timeoutMs = 10_000): Promise<{ sessionId: string; paused: Paused }> {
    const deadline = Date.now() + timeoutMs;
    while (this.pauses.length === 0) {
      if (Date.now() > deadline) throw new Error("no worker paused in time");
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.pauses.shift() as { sessionId: string; paused: Paused };
  }

  resume(sessionId: string): Promise<unknown> {
    return this.send(sessionId, "Debugger.resume");
  }

  close(): void {
    this.session.disconnect();
  }
}
