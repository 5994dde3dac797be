// The execution environment's runtime, run in a worker thread: loads the handler once (init), then
// answers invocations one at a time, as Lambda's Node.js runtime does. Plain JavaScript so a cold
// start pays for no TypeScript loader. One message each way per invocation: the event in, the
// result out. Log lines go into a ring of memory shared with the host (see log-ring.ts), which the
// host reads when a message arrives and when this thread dies, so they stay in order and none is
// lost to a crash, a timeout or process.exit.
import { existsSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";

const { handler: handlerSetting, context: environmentContext, clock, logs, preload } = workerData;
let { taskRoot } = workerData;
// clock[0]: the invocation's deadline; clock[1]: when a debugger paused this thread (0 while it
// runs). The host moves the deadline on by the pause when it hears of the resume.
const remainingMs = () => Math.max(0, clock[0] - (clock[1] || Date.now()));
// clock[2]: this thread's kernel id, so the host can read how long it waited for a CPU (Linux).
try {
  clock[2] = Number(readlinkSync("/proc/thread-self").split("/").pop()) || 0;
} catch {
  clock[2] = 0;
}
let requestId;
let peakBytes = 0;

const post = (message) => parentPort.postMessage(message);
const sampleMemory = () => {
  const heap = getHeapStatistics();
  peakBytes = Math.max(peakBytes, heap.total_heap_size + heap.external_memory);
};

// The log ring's writing end (its layout is described in log-ring.ts): control words [0] write
// position (ours), [1] read position (the host's); records of an Int32 header and UTF-8 bytes.
const CONTROL_BYTES = 16;
const CAPACITY = logs.byteLength - CONTROL_BYTES;
const MAX_RECORD = CAPACITY / 4;
const MORE = 0x40000000;
const WRAP = -1;
const control = new Int32Array(logs, 0, CONTROL_BYTES / 4);
const words = new Int32Array(logs, CONTROL_BYTES);
const bytes = Buffer.from(logs, CONTROL_BYTES, CAPACITY);
let written = 0;

/** Where a record of `length` bytes goes; when the ring is full, waits for the host to read it. */
function reserve(length) {
  const size = 4 + ((length + 3) & ~3);
  for (;;) {
    const read = Atomics.load(control, 1);
    const index = written & (CAPACITY - 1);
    const tail = CAPACITY - index;
    const needed = tail < size ? tail + size : size;
    if (CAPACITY - ((written - read) | 0) >= needed) {
      if (tail >= size) return index;
      words[index >> 2] = WRAP;
      written = (written + tail) | 0;
      return 0;
    }
    post({ type: "drain" });
    Atomics.wait(control, 1, read, 1000);
  }
}

function commit(index, length, more) {
  words[index >> 2] = more ? length | MORE : length;
  written = (written + 4 + ((length + 3) & ~3)) | 0;
  Atomics.store(control, 0, written);
}

/** Appends one write of the function's output to the log ring. */
function writeLog(text) {
  if (text.length === 0) return;
  const length = Buffer.byteLength(text, "utf8");
  if (length <= MAX_RECORD) {
    const index = reserve(length);
    bytes.write(text, index + 4, length, "utf8");
    commit(index, length, false);
    return;
  }
  const encoded = Buffer.from(text, "utf8");
  for (let offset = 0; offset < length; offset += MAX_RECORD) {
    const end = Math.min(length, offset + MAX_RECORD);
    const index = reserve(end - offset);
    encoded.copy(bytes, index + 4, offset, end);
    commit(index, end - offset, end < length);
  }
}

/** Lambda's error shape. */
function toLambdaError(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || "Error",
      errorMessage: error.message,
      trace: String(error.stack ?? "").split("\n"),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// Output goes to the host as log lines. console.* gets Lambda's text prefix; raw writes (structured
// loggers such as Powertools write JSON straight to stdout) stay as they are.
const forward = (chunk, encoding, callback) => {
  writeLog(
    typeof chunk === "string"
      ? chunk
      : Buffer.from(chunk).toString(typeof encoding === "string" ? encoding : "utf8"),
  );
  const done = typeof encoding === "function" ? encoding : callback;
  if (typeof done === "function") done();
  return true;
};
process.stdout.write = forward;
process.stderr.write = forward;
for (const [method, level] of [
  ["log", "INFO"],
  ["info", "INFO"],
  ["warn", "WARN"],
  ["error", "ERROR"],
  ["debug", "DEBUG"],
  ["trace", "TRACE"],
]) {
  console[method] = (...args) =>
    writeLog(`${new Date().toISOString()}\t${requestId ?? "undefined"}\t${level}\t${format(...args)}\n`);
}

// A failure outside the handler's promise ends the environment, as it ends Lambda's runtime process.
process.on("unhandledRejection", (reason) => {
  const error = toLambdaError(reason);
  post({
    type: "fatal",
    error: {
      ...error,
      errorType: "Runtime.UnhandledPromiseRejection",
      errorMessage: `${error.errorType}: ${error.errorMessage}`,
    },
  });
  process.exit(128);
});
process.on("uncaughtException", (error) => {
  post({ type: "fatal", error: toLambdaError(error) });
  process.exit(129);
});

function resolveHandler() {
  const dot = handlerSetting.lastIndexOf(".");
  if (dot <= 0)
    throw Object.assign(new Error(`Bad handler "${handlerSetting}": expected <file>.<export>`), {
      name: "Runtime.MalformedHandlerName",
    });
  const base = handlerSetting.slice(0, dot);
  const exportName = handlerSetting.slice(dot + 1);
  const file = [".js", ".mjs", ".cjs"]
    .map((ext) => join(taskRoot, base + ext))
    .find((candidate) => existsSync(candidate));
  if (!file)
    throw Object.assign(new Error(`Cannot find module '${base}'`), { name: "Runtime.ImportModuleError" });
  return { file, exportName };
}

// A spare environment (pnpm dev's hot reload): imports the vendor files ahead, in the order the code
// imports them, then waits for the code (see ExecutionEnvironment.spare). When one fails to import, the
// spare is given up, and the code's own init, started the usual way, reports the error.
if (preload) {
  try {
    for (const file of preload) await import(pathToFileURL(file).href);
  } catch (error) {
    post({ type: "preload-failed", error: toLambdaError(error) });
    process.exit(0);
  }
  post({ type: "preloaded" });
  // Its variables named this task root already: pnpm dev knows where the next build goes.
  taskRoot = await new Promise((resolve) =>
    parentPort.once("message", (message) => resolve(message.taskRoot)),
  );
}

let handler;
const initStarted = performance.now();
try {
  const { file, exportName } = resolveHandler();
  const module = await import(pathToFileURL(file).href);
  handler = module[exportName] ?? module.default?.[exportName];
  if (typeof handler !== "function") {
    throw Object.assign(new Error(`${handlerSetting} is undefined or not exported`), {
      name: "Runtime.HandlerNotFound",
    });
  }
  sampleMemory();
  post({ type: "ready", initMs: performance.now() - initStarted, memoryBytes: peakBytes });
} catch (error) {
  post({ type: "init-error", error: toLambdaError(error), initMs: performance.now() - initStarted });
}

function callHandler(event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(result);
    };
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === "function") {
        returned.then(
          (value) => callback(null, value),
          (error) => callback(error ?? new Error("rejected")),
        );
      } else if (handler.length < 3) {
        callback(null, returned);
      }
    } catch (error) {
      callback(error);
    }
  });
}

// The legacy context methods: they do nothing here (a handler returns or calls back).
const noop = () => {};

parentPort.on("message", async (message) => {
  requestId = message.requestId;
  const context = {
    ...environmentContext,
    awsRequestId: requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: remainingMs,
    done: noop,
    succeed: noop,
    fail: noop,
  };
  const started = performance.now();
  try {
    // Lambda hands each invocation a freshly parsed event and returns the result serialized as JSON.
    const value = await callHandler(JSON.parse(message.eventJson), context);
    const durationMs = performance.now() - started;
    sampleMemory();
    let payloadJson;
    try {
      payloadJson = JSON.stringify(value === undefined ? null : value);
    } catch (error) {
      post({
        type: "result",
        id: message.id,
        ok: false,
        error: {
          errorType: "Runtime.MarshalError",
          errorMessage: `Unable to stringify response body: ${error.message}`,
          trace: [],
        },
        durationMs,
        memoryBytes: peakBytes,
      });
      return;
    }
    post({ type: "result", id: message.id, ok: true, payloadJson, durationMs, memoryBytes: peakBytes });
  } catch (error) {
    sampleMemory();
    post({
      type: "result",
      id: message.id,
      ok: false,
      error: toLambdaError(error),
      durationMs: performance.now() - started,
      memoryBytes: peakBytes,
    });
  }
});
