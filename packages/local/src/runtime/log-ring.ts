/**
 * The log lines of an execution environment travel through memory shared with its worker thread,
 * not one message per line: the worker appends each write (a `console.*` call, a raw stdout or
 * stderr write) to this ring as it happens, and the host reads the ring when the worker's result
 * (or any other message) arrives, when a debugger pauses the thread, while a slow invocation runs,
 * and when the environment dies. A function that crashes, times out, runs out of memory or calls
 * `process.exit` has its lines read from the ring after its thread is gone, so none is lost.
 *
 * Layout (bootstrap.mjs writes it, {@link LogRing} reads it):
 * - 16 bytes of control, as Int32: [0] the write position (worker), [1] the read position (host);
 *   positions count bytes and wrap at 2^32, the index in the ring is `position & (CAPACITY - 1)`;
 * - CAPACITY bytes of records, each 4-byte aligned: an Int32 header, then its UTF-8 bytes. The
 *   header is the byte length, with {@link MORE} set when the write goes on in the next record (a
 *   write bigger than {@link MAX_RECORD} is cut into records), or {@link WRAP}: the rest up to the
 *   end of the ring is unused, the next record is at its start.
 *
 * When the ring has no room, the worker posts `{ type: "drain" }` and waits (Atomics.wait on the
 * read position) until the host has read it, so a burst of logging never loses or reorders a line.
 */
export const LOG_RING_CONTROL_BYTES = 16;
/** Bytes of records: a power of two. A few hundred invocations' worth of typical lines. */
export const LOG_RING_CAPACITY = 256 * 1024;
/** The largest record; a longer write is cut into several. */
export const MAX_RECORD = LOG_RING_CAPACITY / 4;
export const MORE = 0x40000000;
export const WRAP = -1;
const LENGTH = MORE - 1;
const MASK = LOG_RING_CAPACITY - 1;
const WRITE = 0;
const READ = 1;

/** The host's end of an environment's log ring. */
export class LogRing {
  readonly buffer = new SharedArrayBuffer(LOG_RING_CONTROL_BYTES + LOG_RING_CAPACITY);
  private readonly control = new Int32Array(this.buffer, 0, LOG_RING_CONTROL_BYTES / 4);
  private readonly words = new Int32Array(this.buffer, LOG_RING_CONTROL_BYTES);
  private readonly bytes = Buffer.from(this.buffer, LOG_RING_CONTROL_BYTES, LOG_RING_CAPACITY);
  /** The first records of a write cut into several, until its last record arrives. */
  private partial: Buffer[] = [];

  /** Whether the worker wrote anything the host has not read. */
  get pending(): boolean {
    return Atomics.load(this.control, WRITE) !== this.control[READ];
  }

  /**
   * Hands every complete write in the ring to `onWrite`, in order, and frees their room; `wake`
   * when the worker said it waits for room (it posts `drain` first, so the host always hears of it).
   */
  drain(onWrite: (text: string) => void, wake = false): void {
    const end = Atomics.load(this.control, WRITE);
    let at = this.control[READ] ?? 0;
    if (at === end) {
      if (wake) Atomics.notify(this.control, READ);
      return;
    }
    while (at !== end) {
      const index = at & MASK;
      const header = this.words[index >> 2] ?? WRAP;
      if (header === WRAP) {
        at = (at + LOG_RING_CAPACITY - index) | 0;
        continue;
      }
      const length = header & LENGTH;
      const start = index + 4;
      if ((header & MORE) !== 0) {
        this.partial.push(Buffer.from(this.bytes.subarray(start, start + length)));
      } else if (this.partial.length > 0) {
        this.partial.push(this.bytes.subarray(start, start + length));
        const text = Buffer.concat(this.partial).toString("utf8");
        this.partial = [];
        onWrite(text);
      } else {
        onWrite(this.bytes.toString("utf8", start, start + length));
      }
      at = (at + 4 + ((length + 3) & ~3)) | 0;
    }
    Atomics.store(this.control, READ, at);
    if (wake) Atomics.notify(this.control, READ);
  }
}
