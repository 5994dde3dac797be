/**
 * The lambdaform console: one page, one section at a time (the URL's hash), fed by the live stream
 * of invocations and log lines and by the JSON API of the pnpm dev that serves it.
 */
import "./app.css";
import htm from "htm";
import { h, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  type AlarmChange,
  get,
  type InvocationRow,
  type Live,
  type LogLine,
  type OverviewData,
} from "./api.ts";
import { Data, DeadLetters } from "./data.ts";
import { Metrics } from "./metrics.ts";
import { Alarms, Invocations, Logs, Overview, Schedules } from "./sections.ts";

const html = htm.bind(h);

const SECTIONS = [
  ["overview", "Overview"],
  ["invocations", "Invocations"],
  ["logs", "Logs"],
  ["data", "Data"],
  ["dlq", "Dead letters"],
  ["metrics", "Metrics"],
  ["alarms", "Alarms"],
  ["schedules", "Schedules"],
] as const;
type Section = (typeof SECTIONS)[number][0];

const sectionOf = (hash: string): Section =>
  (SECTIONS.find(([id]) => `#/${id}` === hash)?.[0] ?? "overview") as Section;

function useLive(): Live {
  const [live, setLive] = useState<Live>({ invocations: [], logs: [], alarms: [], connected: false });
  useEffect(() => {
    let lastInvocation = 0;
    let lastLog = 0;
    // The run of pnpm dev the numbers above belong to: a restart numbers from 1 again.
    let boot = "";
    let source: EventSource | undefined;
    // Events are applied together: 50 ms after the first of a batch, and no sooner than 250 ms
    // after the last render. A backlog of a thousand log lines is one render, not a thousand; a
    // lone invocation shows within about 50 ms; a stream of them (30 a second) is four renders a
    // second, not twenty: each render of the invocations table relays and repaints it, and at
    // twenty a second the open page took half a core.
    let pending: { invocations: InvocationRow[]; logs: LogLine[]; alarms: AlarmChange[] } | undefined;
    let renderedAt = 0;
    const queue = () => {
      if (pending) return pending;
      pending = { invocations: [], logs: [], alarms: [] };
      const wait = Math.max(50, renderedAt + 250 - Date.now());
      setTimeout(() => {
        renderedAt = Date.now();
        const batch = pending;
        pending = undefined;
        if (!batch) return;
        const now = Date.now();
        for (const row of batch.invocations) row.seenAt = now;
        setLive((l) => ({
          ...l,
          invocations: [...batch.invocations.reverse(), ...l.invocations].slice(0, 500),
          logs: [...l.logs, ...batch.logs].slice(-5000),
          alarms: [...batch.alarms.reverse(), ...l.alarms],
        }));
      }, wait);
      return pending;
    };
    const data = <T>(e: Event) => JSON.parse((e as MessageEvent).data) as T;
    const open = () => {
      source = new EventSource(`api/stream?invocations=${lastInvocation}&logs=${lastLog}&boot=${boot}`);
      source.onopen = () => setLive((l) => ({ ...l, connected: true }));
      source.addEventListener("hello", (e) => {
        const run = data<{ boot: string }>(e).boot;
        if (boot && run !== boot) {
          // pnpm dev restarted: what was shown came from its last run, whose numbers mean nothing now.
          lastInvocation = 0;
          lastLog = 0;
          if (pending) pending = { invocations: [], logs: [], alarms: [] };
          setLive((l) => ({ ...l, invocations: [], logs: [], alarms: [] }));
        }
        boot = run;
      });
      source.addEventListener("invocation", (e) => {
        const row = data<InvocationRow>(e);
        lastInvocation = Math.max(lastInvocation, row.seq);
        queue().invocations.push(row);
      });
      source.addEventListener("log", (e) => {
        const line = data<LogLine>(e);
        lastLog = Math.max(lastLog, line.seq);
        queue().logs.push(line);
      });
      source.addEventListener("alarm", (e) => queue().alarms.push(data<AlarmChange>(e)));
      // EventSource reconnects by itself, but from its first URL: reopen from what was seen.
      source.onerror = () => {
        setLive((l) => ({ ...l, connected: false }));
        source?.close();
        setTimeout(open, 1000);
      };
    };
    open();
    return () => source?.close();
  }, []);
  return live;
}

function App() {
  const [section, setSection] = useState<Section>(sectionOf(location.hash));
  const [overview, setOverview] = useState<OverviewData | undefined>();
  const [error, setError] = useState<string | undefined>();
  const live = useLive();
  useEffect(() => {
    const onHash = () => setSection(sectionOf(location.hash));
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    const load = () =>
      get<OverviewData>("overview").then(
        (o) => {
          setOverview(o);
          setError(undefined);
        },
        (e: Error) => {
          setError(e.message);
          setTimeout(load, 1000);
        },
      );
    void load();
  }, []);
  useEffect(() => {
    // The first render with the stack's data in the DOM: what the browser test times.
    if (overview && performance.getEntriesByName("lambdaform:first-render").length === 0)
      performance.mark("lambdaform:first-render");
  }, [overview]);
  const [first, setFirst] = useState(true);
  useEffect(() => {
    const title = SECTIONS.find(([id]) => id === section)?.[1];
    document.title = `${title} · lambdaform console`;
    // After a change of section, the keyboard goes on from its content (not on the page's first load).
    if (first) setFirst(false);
    else document.getElementById("main")?.focus({ preventScroll: true });
  }, [section]);
  const body = !overview
    ? html`<p role="status">${error ? `Waiting for the local stack: ${error}` : "Loading…"}</p>`
    : {
        overview: () => html`<${Overview} overview=${overview} />`,
        invocations: () => html`<${Invocations} live=${live} stack=${overview.stack} />`,
        logs: () => html`<${Logs} live=${live} overview=${overview} />`,
        data: () => html`<${Data} overview=${overview} />`,
        dlq: () => html`<${DeadLetters} stack=${overview.stack} />`,
        metrics: () => html`<${Metrics} overview=${overview} />`,
        alarms: () => html`<${Alarms} live=${live} stack=${overview.stack} />`,
        schedules: () => html`<${Schedules} overview=${overview} />`,
      }[section]();
  return html`
    <header>
      <h1>lambdaform console</h1>
      <span class="meta">${overview ? `stage ${overview.stage} · ${overview.stack} · IAM ${overview.iam}` : ""}</span>
      <span class="meta" role="status" aria-live="polite">${live.connected ? "live" : "connecting…"}</span>
    </header>
    <div class="layout">
      <nav aria-label="Sections">
        <ul>
          ${SECTIONS.map(
            ([id, title]) =>
              html`<li><a href=${`#/${id}`} aria-current=${id === section ? "page" : undefined}>${title}</a></li>`,
          )}
        </ul>
      </nav>
      <main id="main" tabindex="-1" data-section=${section}>${body}</main>
    </div>
  `;
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(html`<${App} />`, root);
}
