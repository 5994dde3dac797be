/** The console's sections but Data and Dead letters (data.ts) and Metrics (metrics.ts). */
import htm from "htm";
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  get,
  type InvocationDetail,
  type InvocationRow,
  type Live,
  type OverviewData,
  post,
  short,
  time,
} from "./api.ts";
import { usePoll } from "./hooks.ts";

const html = htm.bind(h);

const json = (value: unknown) => JSON.stringify(value, null, 2);

export function Overview({ overview: o }: { overview: OverviewData }) {
  return html`
    <h2>Overview</h2>
    <dl class="facts">
      <dt>Stage</dt><dd>${o.stage}</dd>
      <dt>Stack</dt><dd>${o.stack}</dd>
      <dt>Region / account</dt><dd>${o.region} / ${o.accountId}</dd>
      <dt>IAM mode</dt><dd>${o.iam}</dd>
      <dt>Endpoint (every client)</dt><dd><code>${o.endpoint}</code></dd>
      ${o.apis.map((a) => html`<dt>API ${a.name}</dt><dd><a href=${`${a.invokeUrl}hello`}>${a.invokeUrl}</a> (stage ${a.stage})</dd>`)}
      <dt>Bucket</dt><dd>${o.buckets.join(", ") || "none"}</dd>
      <dt>Table</dt><dd>${o.tables.join(", ") || "none"}</dd>
    </dl>
    <h3>Resources in the Terraform state</h3>
    <div class="grid2">
      ${o.resources.map(
        (group) => html`
          <table class="card">
            <caption>${group.type} (${group.resources.length})</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Id</th></tr></thead>
            <tbody>${group.resources.map((r) => html`<tr><td>${r.name}</td><td><code>${r.id}</code></td></tr>`)}</tbody>
          </table>
        `,
      )}
    </div>
  `;
}

/** Rows the invocations table shows: a taller table is relaid and repainted at every render. */
const SHOWN = 100;

export function Invocations({ live, stack }: { live: Live; stack: string }) {
  // By request id as well as number: after a restart of pnpm dev the numbers start again.
  const [selected, setSelected] = useState<{ seq: number; requestId: string } | undefined>();
  const [detail, setDetail] = useState<InvocationDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (selected === undefined) return;
    get<InvocationDetail>(`invocations/${selected.seq}`).then(
      (d) => {
        setDetail(d);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  }, [selected]);
  const choose = (r: InvocationRow) => setSelected({ seq: r.seq, requestId: r.requestId });
  return html`
    <h2>Invocations</h2>
    <p class="muted">Live: each invocation appears as it ends. Select one for its log lines, event and response (credentials redacted).</p>
    <table id="invocations">
      <caption>Latest invocations (${Math.min(live.invocations.length, SHOWN)} of the ${live.invocations.length} kept)</caption>
      <thead><tr>
        <th scope="col">Time (UTC)</th><th scope="col">Function</th><th scope="col">Trigger</th>
        <th scope="col" class="num">Duration ms</th><th scope="col" class="num">Billed ms</th>
        <th scope="col" class="num">Max memory MB</th><th scope="col">Cold start</th><th scope="col">Status</th>
      </tr></thead>
      <tbody>
        ${live.invocations.slice(0, SHOWN).map(
          // Keyed: a new invocation is one row inserted at the top. Unkeyed, every row took the
          // next one's values (8 cells × 500 rows rewritten 20 times a second under traffic).
          (r) => html`
            <tr key=${`${r.seq}-${r.requestId}`} class=${`selectable ${r.requestId === selected?.requestId ? "selected" : ""}`} data-function=${short(r.functionName, stack)}
                data-request-id=${r.requestId} data-origin=${r.origin} data-status=${r.status} data-ended-at=${r.endedAt} data-seen-at=${r.seenAt}
                tabindex="0" aria-selected=${r.requestId === selected?.requestId} onClick=${() => choose(r)}
                onKeyDown=${(e: KeyboardEvent) => {
                  if (e.key !== "Enter" && e.key !== " ") return;
                  e.preventDefault();
                  choose(r);
                }}>
              <td>${time(r.endedAt)}</td><td>${short(r.functionName, stack)}</td><td>${r.origin}</td>
              <td class="num">${r.durationMs?.toFixed(2) ?? "–"}</td><td class="num">${r.billedDurationMs ?? "–"}</td>
              <td class="num">${r.maxMemoryUsedMb !== undefined ? `${r.maxMemoryUsedMb} / ${r.memorySizeMb}` : "–"}</td>
              <td>${r.coldStart ? `yes (init ${r.initDurationMs?.toFixed(1)} ms)` : r.coldStart === false ? "no" : "–"}</td>
              <td><span class=${`badge ${r.status}`}>${r.status}${r.errorType ? `: ${r.errorType}` : ""}</span></td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${error ? html`<p role="alert">${error}</p>` : ""}
    ${
      detail
        ? html`<section aria-label="Selected invocation" id="invocation-detail">
          <h3>${short(detail.functionName, stack)} · ${detail.requestId}</h3>
          <h4>Log</h4><pre>${detail.logs.join("\n")}</pre>
          <h4>Event</h4><pre>${json(detail.event)}</pre>
          <h4>Response</h4><pre>${json(detail.response)}</pre>
        </section>`
        : ""
    }
  `;
}

export function Logs({ live, overview }: { live: Live; overview: OverviewData }) {
  const [fn, setFn] = useState(overview.functions[0]?.name ?? "");
  const [filter, setFilter] = useState("");
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLPreElement>(null);
  const lines = live.logs.filter(
    (l) => l.functionName === fn && (!filter || l.line.toLowerCase().includes(filter.toLowerCase())),
  );
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  });
  return html`
    <h2>Logs</h2>
    <div class="toolbar">
      <label for="log-function">Function</label>
      <select id="log-function" value=${fn} onChange=${(e: Event) => setFn((e.target as HTMLSelectElement).value)}>
        ${overview.functions.map((f) => html`<option value=${f.name}>${short(f.name, overview.stack)}</option>`)}
      </select>
      <label for="log-filter">Filter</label>
      <input id="log-filter" type="search" value=${filter} placeholder="text in the line"
        onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
      <input id="log-follow" type="checkbox" checked=${follow} onChange=${(e: Event) => setFollow((e.target as HTMLInputElement).checked)} />
      <label for="log-follow">Follow</label>
      <span class="muted">${lines.length} lines (of /aws/lambda/${fn}, since this page opened)</span>
    </div>
    <pre class="logs" ref=${box} aria-label="Log lines" tabindex="0">${lines.map((l) => `${time(l.time)} ${l.line}`).join("\n")}</pre>
  `;
}

interface Alarm {
  name: string;
  state: string;
  reason: string;
  updated?: string;
  metric: string;
  condition: string;
  history: Array<{ from: string; to: string; reason: string; time: number }>;
}

export function Alarms({ live, stack }: { live: Live; stack: string }) {
  const [alarms, setAlarms] = useState<Alarm[]>([]);
  const [error, setError] = useState("");
  usePoll(
    () =>
      get<{ alarms: Alarm[] }>("alarms").then(
        (a) => setAlarms(a.alarms),
        (e: Error) => setError(e.message),
      ),
    5000,
    [live.alarms.length],
  );
  return html`
    <h2>Alarms</h2>
    ${error ? html`<p role="alert">${error}</p>` : ""}
    <table id="alarms">
      <caption>${alarms.length} alarms, evaluated locally every 10 s</caption>
      <thead><tr><th scope="col">Alarm</th><th scope="col">State</th><th scope="col">Metric</th><th scope="col">Condition</th><th scope="col">Reason</th><th scope="col">History (this run)</th></tr></thead>
      <tbody>${alarms.map(
        (a) => html`<tr data-alarm=${a.name}>
          <td>${short(a.name, stack)}</td><td><span class=${`badge ${a.state}`}>${a.state}</span></td><td>${a.metric}</td><td>${a.condition}</td>
          <td>${a.reason}${a.updated ? html`<br /><span class="muted">${a.updated}</span>` : ""}</td>
          <td>${a.history.length === 0 ? html`<span class="muted">no change yet</span>` : html`<ul>${a.history.map((c) => html`<li>${time(c.time)} ${c.from} → ${c.to}</li>`)}</ul>`}</td>
        </tr>`,
      )}</tbody>
    </table>
  `;
}

interface Rule {
  name: string;
  schedule: string | null;
  targets: string[];
  next: string | null;
}

export function Schedules({ overview }: { overview: OverviewData }) {
  const [rules, setRules] = useState<Rule[]>([]);
  const [status, setStatus] = useState("");
  usePoll(
    () =>
      get<{ rules: Rule[] }>("schedules").then(
        (r) => setRules(r.rules),
        (e: Error) => setStatus(e.message),
      ),
    5000,
  );
  const trigger = async (rule: string) => {
    setStatus(`Firing ${rule}…`);
    try {
      const result = await post<{ results: Array<{ functionName: string; status: string }> }>(
        `trigger/${encodeURIComponent(rule)}`,
        {},
      );
      setStatus(
        `${rule} fired: ${result.results.map((r) => `${short(r.functionName, overview.stack)} ${r.status}`).join(", ")}.`,
      );
    } catch (error) {
      setStatus(`Trigger failed: ${(error as Error).message}`);
    }
  };
  return html`
    <h2>Schedules</h2>
    <p class="status" role="status" aria-live="polite">${status}</p>
    <table id="schedules">
      <caption>EventBridge rules</caption>
      <thead><tr><th scope="col">Rule</th><th scope="col">Schedule</th><th scope="col">Targets</th><th scope="col">Next fire (UTC)</th><th scope="col">Action</th></tr></thead>
      <tbody>${rules.map(
        (r) => html`<tr data-rule=${r.name}>
          <td>${r.name}</td><td><code>${r.schedule ?? "event pattern"}</code></td>
          <td>${r.targets.map((t) => short(t, overview.stack)).join(", ")}</td><td>${r.next ?? html`<span class="muted">not armed</span>`}</td>
          <td><button onClick=${() => trigger(r.name)} aria-label=${`Trigger ${r.name} now`}>Trigger now</button></td>
        </tr>`,
      )}</tbody>
    </table>
  `;
}
