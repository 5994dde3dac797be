/** The Data and Dead letters sections: the bucket, the table and the on-failure queues. */
import htm from "htm";
import { h } from "preact";
import { useRef, useState } from "preact/hooks";
import { get, type OverviewData, post, short } from "./api.ts";
import { usePoll } from "./hooks.ts";

const html = htm.bind(h);

interface ObjectsPage {
  bucket: string;
  objects: Array<{ key: string; size: number; lastModified?: string }>;
  nextToken?: string;
}
interface RowsPage {
  table: string;
  rows: Array<Record<string, unknown>>;
  nextToken?: string;
}

const base64Of = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsDataURL(file);
  });

export function Data({ overview }: { overview: OverviewData }) {
  const [objects, setObjects] = useState<ObjectsPage | undefined>();
  const [rows, setRows] = useState<RowsPage | undefined>();
  const [tokens, setTokens] = useState<string[]>([]);
  const [prefix, setPrefix] = useState("uploads/");
  const [status, setStatus] = useState("");
  const file = useRef<HTMLInputElement>(null);
  const token = tokens.at(-1);
  usePoll(
    async () => {
      await Promise.all([
        get<ObjectsPage>("objects").then(setObjects, (e: Error) => setStatus(e.message)),
        get<RowsPage>(`rows${token ? `?token=${encodeURIComponent(token)}` : ""}`).then(setRows, (e: Error) =>
          setStatus(e.message),
        ),
      ]);
    },
    2000,
    [token],
  );
  const upload = async (e: Event) => {
    e.preventDefault();
    const chosen = file.current?.files?.[0];
    if (!chosen) return setStatus("Choose a file first.");
    setStatus(`Uploading ${chosen.name}…`);
    try {
      const done = await post<{ key: string; size: number }>("api/objects", {
        key: `${prefix}${chosen.name}`,
        contentBase64: await base64Of(chosen),
        contentType: chosen.type || undefined,
      });
      setStatus(
        `Uploaded ${done.key} (${done.size} bytes): watch Invocations for the processor, and the table below for its row.`,
      );
    } catch (error) {
      setStatus(`Upload failed: ${(error as Error).message}`);
    }
  };
  // The key and what a reader looks for first; then the rest, alphabetically.
  const FIRST = ["file_key", "file_size", "status", "processed_at"];
  const seen = rows ? [...new Set(rows.rows.flatMap((r) => Object.keys(r)))] : [];
  const columns = [
    ...FIRST.filter((c) => seen.includes(c)),
    ...seen.filter((c) => !FIRST.includes(c)).sort(),
  ];
  return html`
    <h2>Data</h2>
    <form class="toolbar" onSubmit=${upload} aria-label="Upload to the bucket">
      <label for="upload-prefix">Key prefix</label>
      <input id="upload-prefix" value=${prefix} onInput=${(e: Event) => setPrefix((e.target as HTMLInputElement).value)} />
      <label for="upload-file">File</label>
      <input id="upload-file" type="file" ref=${file} />
      <button type="submit">Upload</button>
    </form>
    <p class="status" role="status" aria-live="polite">${status}</p>
    <table id="objects">
      <caption>Objects in ${overview.buckets[0] ?? "the bucket"} (${objects?.objects.length ?? 0}${objects?.nextToken ? "+" : ""})</caption>
      <thead><tr><th scope="col">Key</th><th scope="col" class="num">Size</th><th scope="col">Last modified</th></tr></thead>
      <tbody>${objects?.objects.map((o) => html`<tr><td>${o.key}</td><td class="num">${o.size}</td><td>${o.lastModified ?? ""}</td></tr>`)}</tbody>
    </table>
    <div class="scroll" role="region" aria-label="Table rows (scrolls sideways)" tabindex="0">
    <table id="rows">
      <caption>${rows?.table ?? overview.tables[0]} rows, page ${tokens.length + 1}</caption>
      <thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
      <tbody>${rows?.rows.map((r) => html`<tr>${columns.map((c) => html`<td>${r[c] === undefined ? "" : typeof r[c] === "object" ? JSON.stringify(r[c]) : String(r[c])}</td>`)}</tr>`)}</tbody>
    </table>
    </div>
    <div class="toolbar">
      <button class="secondary" disabled=${tokens.length === 0} onClick=${() => setTokens([])}>First page</button>
      <button class="secondary" disabled=${tokens.length === 0} onClick=${() => setTokens(tokens.slice(0, -1))}>Previous page</button>
      <button class="secondary" disabled=${!rows?.nextToken} onClick=${() => rows?.nextToken && setTokens([...tokens, rows.nextToken])}>Next page</button>
    </div>
  `;
}

interface Letter {
  id: string;
  queueName: string;
  receivedAt: string;
  record: {
    requestContext: { functionArn: string; condition: string; approximateInvokeCount: number };
    responsePayload?: { errorType?: string; errorMessage?: string };
  };
}

export function DeadLetters({ stack }: { stack: string }) {
  const [data, setData] = useState<{ queues: string[]; letters: Letter[] } | undefined>();
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const load = () =>
    get<{ queues: string[]; letters: Letter[] }>("dlq").then(setData, (e: Error) => setStatus(e.message));
  usePoll(load, 5000);
  const redrive = async (queue: string, ids?: string[]) => {
    setBusy(true);
    setStatus(`Redriving ${ids ? ids.length : "every"} message(s) of ${queue}…`);
    try {
      const results = await post<Array<{ id: string; status: string }>>("dlq/redrive", {
        queue,
        ...(ids ? { ids } : {}),
      });
      const ok = results.filter((r) => r.status === "succeeded").length;
      setStatus(
        `Redrive of ${queue}: ${ok} succeeded, ${results.length - ok} failed (failed ones stay in the queue).`,
      );
    } catch (error) {
      setStatus(`Redrive failed: ${(error as Error).message}`);
    }
    setBusy(false);
    await load();
  };
  return html`
    <h2>Dead letters</h2>
    <p class="status" role="status" aria-live="polite">${status}</p>
    ${(data?.queues ?? []).map((queue) => {
      const letters = (data?.letters ?? []).filter((l) => l.queueName === queue);
      return html`
        <table class="dlq" data-queue=${queue}>
          <caption>${queue}: ${letters.length} message(s)
            ${" "}<button disabled=${busy || letters.length === 0} onClick=${() => redrive(queue)}>Redrive all</button></caption>
          <thead><tr><th scope="col">Received</th><th scope="col">Function</th><th scope="col">Error</th>
            <th scope="col" class="num">Attempts</th><th scope="col">Condition</th><th scope="col">Action</th></tr></thead>
          <tbody>${letters.map(
            (l) => html`<tr data-id=${l.id}>
              <td>${l.receivedAt}</td><td>${short(l.record.requestContext.functionArn.split(":")[6] ?? "", stack)}</td>
              <td>${l.record.responsePayload?.errorType ?? ""}: ${l.record.responsePayload?.errorMessage ?? ""}</td>
              <td class="num">${l.record.requestContext.approximateInvokeCount}</td><td>${l.record.requestContext.condition}</td>
              <td><button class="secondary" disabled=${busy} aria-label=${`Redrive message ${l.id}`} onClick=${() => redrive(queue, [l.id])}>Redrive</button></td>
            </tr>`,
          )}</tbody>
        </table>`;
    })}
  `;
}
