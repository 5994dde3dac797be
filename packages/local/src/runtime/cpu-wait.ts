import { closeSync, openSync, readSync } from "node:fs";

/**
 * How long one thread of this process has waited, runnable, for a CPU: Linux's schedstat for the
 * thread (`/proc/self/task/<tid>/schedstat`, its second field, in nanoseconds). On Lambda every
 * execution environment has its own CPU share; here ten environments, the gateway and moto share
 * this machine's cores, so a function's wall time also counts the time it stood in the run queue
 * behind the others. Its timeout leaves that time out (see EnvironmentClock). Elsewhere than Linux,
 * or before the thread said who it is, it reads 0: no time is given back.
 */
export class ThreadCpuWait {
  private fd?: number;
  private opened?: number;
  private readonly buffer = Buffer.alloc(96);

  /** `tid` reads the thread's kernel id (0 while it is not known). */
  constructor(private readonly tid: () => number) {}

  /** Milliseconds the thread has waited for a CPU since it started. */
  ms(): number {
    const tid = this.tid();
    if (!tid) return 0;
    try {
      if (this.opened !== tid) {
        this.close();
        this.fd = openSync(`/proc/self/task/${tid}/schedstat`, "r");
        this.opened = tid;
      }
      // A read from offset 0 gives the figures of now (2-3 µs; a readFileSync takes ten times that).
      const length = readSync(this.fd as number, this.buffer, 0, this.buffer.length, 0);
      const waitedNs = Number(this.buffer.toString("latin1", 0, length).split(" ")[1]);
      return Number.isFinite(waitedNs) ? waitedNs / 1e6 : 0;
    } catch {
      // No schedstat here, or the thread has ended.
      return 0;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.opened = undefined;
  }
}
