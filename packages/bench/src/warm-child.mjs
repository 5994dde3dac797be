// Warm latency: load the bundle once, then time many invocations. argv: <module> <event file> <calls>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, eventFile, callsText] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, "utf8"));
const context = { awsRequestId: "bench", functionName: "bench", getRemainingTimeInMillis: () => 30_000 };
const { handler } = await import(pathToFileURL(modulePath).href);
await handler(structuredClone(event), context);
const times = [];
for (let i = 0; i < Number(callsText); i++) {
  const started = performance.now();
  await handler(structuredClone(event), context);
  times.push(performance.now() - started);
}
process.stdout.write(JSON.stringify(times));
