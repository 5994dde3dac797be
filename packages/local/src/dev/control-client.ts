/**
 * The other side of the control API: the state file a running `pnpm dev` writes (its port and pid)
 * and the client other commands (`pnpm trigger`, `pnpm invoke`, `pnpm dlq`) reach it with.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FaultCounters } from "../gateway/faults.ts";
import { UnknownNameError } from "../names.ts";
import type { DeadLetter } from "../runtime/dead-letters.ts";
import type { PlanCheck, TriggerResult, UnknownNameBody } from "./control.ts";
import type { Redriven } from "./dlq.ts";

/** Where a stage's `pnpm dev` keeps its data (moto's recording, Terraform state, the state file). */
export function devDataDir(dataRoot: string, stage: string): string {
  return join(dataRoot, "dev", stage);
}

/** The state file a running `pnpm dev` writes: its gateway's port and its pid. */
function stateFile(devDir: string): string {
  return join(devDir, "gateway.json");
}

export interface DevState {
  readonly port: number;
  readonly pid: number;
  /**
   * When the process started (`/proc/<pid>/stat`'s starttime, in clock ticks since boot), on Linux:
   * tells the pnpm dev that wrote the record from a later process that was given the same pid.
   */
  readonly started?: number;
}

/** Records where the gateway listens; returns the function that removes the record again. */
export function writeDevState(devDir: string, state: DevState): () => void {
  mkdirSync(devDir, { recursive: true });
  const file = stateFile(devDir);
  const stat = state.started === undefined ? procStat(state.pid) : undefined;
  const started = state.started ?? (typeof stat === "object" ? stat.started : undefined);
  writeFileSync(file, `${JSON.stringify(started === undefined ? state : { ...state, started })}\n`);
  return () => rmSync(file, { force: true });
}

/**
 * A process's state letter and start time from `/proc/<pid>/stat` (`pid (comm) state ppid … starttime …`,
 * where comm may hold spaces and parentheses); undefined where there is no /proc (not Linux);
 * "gone" when the process does not exist. Read by hand: no library reads one pid's stat without
 * spawning `ps`.
 */
export function procStat(pid: number): { state: string; started: number } | "gone" | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return existsSync("/proc/self/stat") ? "gone" : undefined;
    return undefined;
  }
  // After "comm) ": state is field 3 and starttime field 22 of the line.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const started = Number(fields[19]);
  if (!fields[0] || !Number.isFinite(started)) return undefined;
  return { state: fields[0], started };
}

/**
 * Whether the process that wrote a record still runs. On Linux from /proc: a zombie is dead (where
 * pid 1 does not reap orphans, as in many containers, a killed pnpm dev stays one for good), and a
 * process that started at another time is another process given the same pid. Elsewhere, signal 0
 * checks without sending anything.
 */
function alive(pid: number, started?: number): boolean {
  const stat = procStat(pid);
  if (stat === "gone") return false;
  if (stat)
    return stat.state !== "Z" && stat.state !== "X" && (started === undefined || stat.started === started);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The state of the stage's running `pnpm dev`, or undefined when none is running. A record left by
 * a `pnpm dev` that was killed (its pid is gone) or is unreadable is removed.
 */
export function readDevState(devDir: string): DevState | undefined {
  const file = stateFile(devDir);
  if (!existsSync(file)) return undefined;
  let state: Partial<DevState> | undefined;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as Partial<DevState>;
  } catch {
    state = undefined;
  }
  if (
    typeof state?.pid === "number" &&
    typeof state.port === "number" &&
    alive(state.pid, typeof state.started === "number" ? state.started : undefined)
  )
    return state as DevState;
  rmSync(file, { force: true });
  return undefined;
}

/** The client of a running `pnpm dev`'s control API (what `pnpm trigger` uses). */
export class ControlClient {
  constructor(readonly endpoint: string) {}

  /** The client of the stage's running `pnpm dev`, or undefined when none is running. */
  static forDevDir(devDir: string): ControlClient | undefined {
    const state = readDevState(devDir);
    return state ? new ControlClient(`http://127.0.0.1:${state.port}`) : undefined;
  }

  /**
   * Fires a rule now and waits for its targets.
   *
   * @throws {UnknownNameError} when the stack has no such rule.
   */
  trigger(rule: string): Promise<TriggerResult> {
    return this.call(`trigger/${encodeURIComponent(rule)}`, {});
  }

  /** Invokes a function in the running stack (as Lambda's Invoke API does) and waits for it. */
  invoke(
    functionName: string,
    event: unknown,
    invocationType: "RequestResponse" | "Event",
  ): Promise<unknown> {
    return this.call(`invoke/${encodeURIComponent(functionName)}`, { event, invocationType });
  }

  /** The dead letters in the stack's on-failure queues. */
  deadLetters(queue?: string): Promise<DeadLetter[]> {
    return this.call("dlq", queue ? { queue } : {});
  }

  /** Redrives a queue's dead letters (or only `ids`): deleted only once their invocation succeeds. */
  redrive(queue: string, ids?: ReadonlyArray<string>): Promise<Redriven[]> {
    return this.call("dlq/redrive", { queue, ids });
  }

  /**
   * Sets the faults (`{}` clears them) under `pnpm dev --faults`, or only reads them without
   * `settings`; answers what is set and what the faults did.
   */
  faults(settings?: Record<string, unknown>): Promise<{
    faults: unknown;
    counters: FaultCounters;
    newestSequencers: Record<string, string>;
  }> {
    return this.call("faults", settings);
  }

  /** A real terraform plan of the deployed stack: what it would change, and what drifted. */
  plan(): Promise<PlanCheck> {
    return this.call("plan", {});
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.endpoint}/_lambdaform/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as Partial<UnknownNameBody> & { message?: string };
    if (response.ok) return answer as T;
    if (answer.unknown)
      throw new UnknownNameError(answer.unknown.kind, answer.unknown.value, answer.unknown.choices);
    throw new Error(answer.message ?? `the local stack answered HTTP ${response.status}`);
  }
}
