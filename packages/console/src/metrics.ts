/** The Metrics section: the last hour per minute, as uPlot charts with their numbers beside them. */
import htm from "htm";
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { get, type OverviewData, short, time } from "./api.ts";

const html = htm.bind(h);

type Points = Array<{ time: number; value: number }>;
interface MetricsData {
  from: number;
  to: number;
  running: Points;
  functions: Array<{
    name: string;
    invocations: Points;
    errors: Points;
    throttles: Points;
    duration: Array<{ time: number; p50: number; p99: number }>;
  }>;
}

const COLORS = ["#0a58a8", "#a3161c", "#7a4b00", "#1a6b32"];

/** One chart: series over the same minutes (a minute with no point is a gap). */
function Chart({
  title,
  series,
  range,
}: {
  title: string;
  series: Array<{ label: string; points: Points }>;
  /** The hour shown, in ms: one point is drawn at its minute, not stretched over years. */
  range: [number, number];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const minutes = [...new Set(series.flatMap((s) => s.points.map((p) => p.time)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [
      minutes.map((m) => m / 1000),
      ...series.map((s) => {
        const at = new Map(s.points.map((p) => [p.time, p.value]));
        return minutes.map((m) => at.get(m) ?? null);
      }),
    ];
    let plot: uPlot | undefined;
    let gone = false;
    // uPlot is loaded with the Metrics section, not with the page: the first render stays small.
    void import("uplot").then(({ default: UPlot }) => {
      if (gone || !box.current) return;
      plot = new UPlot(
        {
          width: 400,
          height: 170,
          series: [
            {},
            ...series.map((s, i) => ({
              label: s.label,
              stroke: COLORS[i % COLORS.length],
              width: 2,
              points: { show: true },
            })),
          ],
          axes: [{}, { size: 50 }],
          scales: { x: { time: true, range: [range[0] / 1000, range[1] / 1000] } },
        },
        data,
        box.current,
      );
    });
    return () => {
      gone = true;
      plot?.destroy();
    };
  }, [JSON.stringify(series), range[0]]);
  const latest = series.map((s) => `${s.label} ${s.points.at(-1)?.value ?? "–"}`).join(", ");
  return html`
    <figure class="card">
      <figcaption><strong>${title}</strong></figcaption>
      <div ref=${box} role="img" aria-label=${`${title}: ${latest}`}></div>
      <details>
        <summary>Numbers</summary>
        <table>
          <thead><tr><th scope="col">Minute (UTC)</th>${series.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
          <tbody>${[...new Set(series.flatMap((s) => s.points.map((p) => p.time)))]
            .sort((a, b) => a - b)
            .map(
              (m) =>
                html`<tr><td>${time(m).slice(0, 5)}</td>${series.map((s) => html`<td class="num">${s.points.find((p) => p.time === m)?.value ?? ""}</td>`)}</tr>`,
            )}</tbody>
        </table>
      </details>
    </figure>
  `;
}

export function Metrics({ overview }: { overview: OverviewData }) {
  const [data, setData] = useState<MetricsData | undefined>();
  const [error, setError] = useState("");
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    let stopped = false;
    const load = (): Promise<void> | undefined =>
      stopped
        ? undefined
        : get<MetricsData>("metrics")
            .then(
              (d) => {
                setData(d);
                setError("");
              },
              (e: Error) => setError(e.message),
            )
            .finally(() => {
              if (!stopped) timer = setTimeout(load, 5000);
            });
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  if (!data) return html`<h2>Metrics</h2><p role="status">${error || "Loading…"}</p>`;
  const running = data.running.at(-1);
  const range: [number, number] = [data.from, data.to];
  return html`
    <h2>Metrics</h2>
    <p class="muted">The last hour, per minute, from the local CloudWatch (Duration percentiles from the runtime's own samples: moto computes none).</p>
    <p>Running instances now: <output id="running-latest">${running ? running.value : "no point yet"}</output>
      ${running ? html` <span class="muted">(at ${time(running.time).slice(0, 5)} UTC)</span>` : ""}</p>
    <div class="grid2">
      <${Chart} range=${range} title="Custom/EC2 RunningInstances (Maximum)" series=${[{ label: "RunningInstances", points: data.running }]} />
      ${data.functions.map(
        (f) => html`
          <${Chart} range=${range} title=${`${short(f.name, overview.stack)}: Invocations, Errors, Throttles (Sum)`}
            series=${[{ label: "Invocations", points: f.invocations }, { label: "Errors", points: f.errors }, { label: "Throttles", points: f.throttles }]} />
          <${Chart} range=${range} title=${`${short(f.name, overview.stack)}: Duration ms (p50, p99)`}
            series=${[
              {
                label: "p50",
                points: f.duration.map((d) => ({ time: d.time, value: Math.round(d.p50 * 100) / 100 })),
              },
              {
                label: "p99",
                points: f.duration.map((d) => ({ time: d.time, value: Math.round(d.p99 * 100) / 100 })),
              },
            ]} />`,
      )}
    </div>
    ${error ? html`<p role="alert">${error}</p>` : ""}
  `;
}
