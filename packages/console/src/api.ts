/** The console's calls to the pnpm dev it is served by: same origin, JSON, relative to /_lambdaform/. */

export interface InvocationRow {
  seq: number;
  requestId: string;
  functionName: string;
  origin: string;
  endedAt: number;
  status: "ok" | "error" | "throttled";
  durationMs?: number;
  billedDurationMs?: number;
  maxMemoryUsedMb?: number;
  memorySizeMb?: number;
  coldStart?: boolean;
  initDurationMs?: number;
  errorType?: string;
  /** When this page received it (set here, not by the server). */
  seenAt?: number;
}

export interface InvocationDetail extends InvocationRow {
  logs: string[];
  event: unknown;
  response: unknown;
}

export interface LogLine {
  seq: number;
  functionName: string;
  stream: string;
  time: number;
  line: string;
}

export interface AlarmChange {
  alarmName: string;
  from: string;
  to: string;
  reason: string;
  time: number;
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as T & { message?: string };
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body;
}

export function get<T>(path: string): Promise<T> {
  return fetch(`api/${path}`, { headers: { accept: "application/json" } }).then((r) => answer<T>(r));
}

/** A POST to a console or control route (`api/objects`, `trigger/<rule>`, `dlq/redrive`). */
export function post<T>(path: string, body: unknown): Promise<T> {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then((r) => answer<T>(r));
}

export const short = (functionName: string, stack: string) =>
  functionName.startsWith(`${stack}-`) ? functionName.slice(stack.length + 1) : functionName;

export const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** What the live stream brought: kept for the page's life, bounded as the server's windows are. */
export interface Live {
  invocations: InvocationRow[];
  logs: LogLine[];
  alarms: AlarmChange[];
  connected: boolean;
}

export interface OverviewData {
  stage: string;
  stack: string;
  region: string;
  accountId: string;
  iam: string;
  endpoint: string;
  apis: Array<{ name: string; stage: string; invokeUrl: string }>;
  buckets: string[];
  tables: string[];
  functions: Array<{ name: string; memoryMb: number; timeoutSeconds: number }>;
  resources: Array<{ type: string; resources: Array<{ name: string; id: string }> }>;
}
