// The execution environment's runtime, run in a worker thread: loads the handler once (init), then
// answers invocations one at a time, as Lambda's Node.js runtime does. Plain JavaScript so a cold
// start pays for no TypeScript loader. Talks to the host only through postMessage, which keeps log
// lines and results in order.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";

const { taskRoot, handler: handlerSetting, context: environmentContext, clock } = workerData;
// clock[0]: the invocation's deadline; clock[1]: when a debugger paused this thread (0 while it
// runs). The host moves the deadline on by the pause when it hears of the resume.
const remainingMs = () => Math.max(0, clock[0] - (clock[1] || Date.now()));
let requestId;
let peakBytes = 0;

const post = (message) => parentPort.postMessage(message);
const sampleMemory = () => {
  const heap = getHeapStatistics();
  peakBytes = Math.max(peakBytes, heap.total_heap_size + heap.external_memory);
};

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
const forward = (stream) => (chunk, encoding, callback) => {
  const text =
    typeof chunk === "string"
      ? chunk
      : Buffer.from(chunk).toString(typeof encoding === "string" ? encoding : "utf8");
  post({ type: "log", stream, text });
  const done = typeof encoding === "function" ? encoding : callback;
  if (typeof done === "function") done();
  return true;
};
process.stdout.write = forward("stdout");
process.stderr.write = forward("stderr");
for (const [method, level] of [
  ["log", "INFO"],
  ["info", "INFO"],
  ["warn", "WARN"],
  ["error", "ERROR"],
  ["debug", "DEBUG"],
  ["trace", "TRACE"],
]) {
  console[method] = (...args) =>
    post({
      type: "log",
      stream: "stdout",
      text: `${new Date().toISOString()}\t${requestId ?? "undefined"}\t${level}\t${format(...args)}\n`,
    });
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

parentPort.on("message", async (message) => {
  requestId = message.requestId;
  const context = {
    ...environmentContext,
    awsRequestId: requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: remainingMs,
    done: () => {},
    succeed: () => {},
    fail: () => {},
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
