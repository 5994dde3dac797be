// The import of a bundle timed (and, with a profile file, profiled) inside a fresh process: the part of
// a cold init that is the bundle's own, without Node's start. (The whole-process figure of
// `pnpm bench --only init` runs the bundle as the entry point instead, with nothing around it.)
// Plain JavaScript, so the measurement includes no TypeScript loader. argv: <module> [<profile file>]
// Prints {"importMs": …}. With a profile file, a CPU profile of exactly the import (sampled every
// 100 µs) is written there; the inspector is set up before the clock starts.
import { pathToFileURL } from "node:url";

const [modulePath, profileFile] = process.argv.slice(2);
const url = pathToFileURL(modulePath).href;
// The clock itself loads perf_hooks on first use: before the profiler starts, not inside the import.
performance.now();
let session;
if (profileFile) {
  const { Session } = await import("node:inspector/promises");
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
}
const started = performance.now();
await import(url);
const importMs = performance.now() - started;
if (session) {
  const { profile } = await session.post("Profiler.stop");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(profileFile, JSON.stringify(profile));
}
process.stdout.write(JSON.stringify({ importMs }));
