import { Session } from "node:inspector";
import type { ExecutionEnvironment } from "./environment.ts";

type WorkerMessage = { method?: string; params?: { reason?: string; callFrames?: unknown[] } };

/**
 * Watches, through the inspector, when a debugger pauses an execution environment's thread, so
 * its clocks (the function's timeout, the API integration's) stop while it is paused and go on
 * when it resumes. It opens a session of its own on this process's inspector: the worker threads
 * the environments run in are reachable through its `NodeWorker` domain, and each worker's
 * `Debugger.paused` and `Debugger.resumed` reach every session with the debugger enabled,
 * whichever session (VS Code, Chrome DevTools) set the breakpoint.
 *
 * With this session enabled, a `debugger;` statement pauses the environment even when no other
 * debugger is attached (as it would with one): that is what `--inspect` asks for.
 */
export class PauseMonitor {
  private readonly session = new Session();
  /** By thread id: the watched environments, and the inspector's session of each worker thread. */
  private readonly environments = new Map<string, ExecutionEnvironment>();
  private readonly attached = new Map<string, string>();
  /** Environments waiting for this session's debugger to be enabled on their thread. */
  private readonly enabling = new Map<string, () => void>();
  private readonly replies = new Map<number, () => void>();
  private nextId = 1;

  constructor(
    /** Only these functions' environments are watched (all when undefined). */
    private readonly functions: ReadonlySet<string> | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.session.connect();
    this.session.on("NodeWorker.attachedToWorker", (message) => {
      const { sessionId, workerInfo } = message.params as {
        sessionId: string;
        workerInfo: { title: string };
      };
      // The inspector numbers workers its own way; the title names the thread ("[worker 11]").
      const threadId = /\[worker (\d+)\]/.exec(workerInfo.title)?.[1];
      if (threadId === undefined) return;
      this.attached.set(threadId, sessionId);
      if (this.environments.has(threadId)) this.enable(sessionId);
    });
    this.session.on("NodeWorker.detachedFromWorker", (message) => {
      const { sessionId } = message.params as { sessionId: string };
      for (const [workerId, id] of this.attached) if (id === sessionId) this.attached.delete(workerId);
    });
    this.session.on("NodeWorker.receivedMessageFromWorker", (message) => {
      const { sessionId, message: text } = message.params as { sessionId: string; message: string };
      const event = JSON.parse(text) as WorkerMessage & { id?: number };
      if (event.id !== undefined) {
        this.replies.get(event.id)?.();
        this.replies.delete(event.id);
        return;
      }
      const env = this.environmentOf(sessionId);
      if (!env) return;
      if (event.method === "Debugger.paused") {
        env.pause();
        this.log(
          `${env.logStreamName}: paused in the debugger (${event.params?.reason ?? "breakpoint"}); its timeouts are stopped`,
        );
      } else if (event.method === "Debugger.resumed") env.resume();
    });
    this.session.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
  }

  /** Whether a function's environments are watched (named by its full or short name). */
  watches(fn: { readonly name: string; readonly shortName: string }): boolean {
    return !this.functions || this.functions.has(fn.name) || this.functions.has(fn.shortName);
  }

  /**
   * Starts watching an environment; resolves once this session's debugger is enabled on its thread,
   * so no pause can happen before the monitor would see it.
   */
  add(env: ExecutionEnvironment): Promise<void> {
    const workerId = String(env.threadId);
    this.environments.set(workerId, env);
    return new Promise((resolve) => {
      this.enabling.set(workerId, resolve);
      const sessionId = this.attached.get(workerId);
      if (sessionId) this.enable(sessionId);
    });
  }

  remove(env: ExecutionEnvironment): void {
    this.environments.delete(String(env.threadId));
  }

  close(): void {
    this.session.disconnect();
  }

  private environmentOf(sessionId: string): ExecutionEnvironment | undefined {
    for (const [workerId, id] of this.attached) if (id === sessionId) return this.environments.get(workerId);
    return undefined;
  }

  private enable(sessionId: string): void {
    const workerId = [...this.attached].find(([, id]) => id === sessionId)?.[0] ?? "";
    const id = this.nextId++;
    this.replies.set(id, () => {
      this.enabling.get(workerId)?.();
      this.enabling.delete(workerId);
    });
    const message = JSON.stringify({ id, method: "Debugger.enable", params: {} });
    this.session.post("NodeWorker.sendMessageToWorker", { sessionId, message });
  }
}
