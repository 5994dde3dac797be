// One cold start, as Lambda's first invocation: load the bundle, run the handler once, exit.
// Plain JavaScript, so the measurement includes no TypeScript loader. argv: <module> <event file>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, eventFile] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, "utf8"));
const context = { awsRequestId: "bench", functionName: "bench", getRemainingTimeInMillis: () => 30_000 };
const { handler } = await import(pathToFileURL(modulePath).href);
await handler(event, context);
