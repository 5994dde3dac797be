// Where a bundle's import spends its time, from a V8 CPU profile of exactly the import: V8's
// compile, the Node built-ins, the bundle's own code by source line and by npm package (through
// the bundle's source map), and the constructors it runs. `pnpm bench --only init` profiles; this reads.
import type { SourceMap } from "node:module";
import { stat } from "./stats.ts";

/** One row of a profile: what the time went to, in ms (the median over the profiled runs). */
export interface InitRow {
  readonly what: string;
  readonly ms: number;
}

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
  readonly positionTicks?: ReadonlyArray<{ line: number; ticks: number }>;
}
export interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>;
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: ReadonlyArray<number>;
  readonly timeDeltas: ReadonlyArray<number>;
}

const COMPILE = "parse + compile the bundle (V8)";
const BUILTINS = "load the Node built-ins it imports (http, https, crypto, …)";
const BUILTIN_LOADERS = new Set(["compileForPublicLoader", "compileForInternalLoader", "requireBuiltin"]);

/** The npm package (or workspace part) a bundled source file came from. */
export function packageOf(source: string): string {
  const at = source.lastIndexOf("node_modules/");
  if (at >= 0) {
    const [scope = "", name = ""] = source.slice(at + "node_modules/".length).split("/");
    return scope.startsWith("@") ? `${scope}/${name}` : scope;
  }
  if (source.startsWith("lambdaform-builtin:")) return `node:${source.slice("lambdaform-builtin:".length)}`;
  if (source === "(unmapped)") return "(esbuild's helpers)";
  const workspace = /(?:^|\/)packages\/(?:functions\/)?([^/]+)\/src\//.exec(source)?.[1];
  if (workspace) return `@lambdaform/${workspace}`;
  if (/(?:^|\/)shared\/src\//.test(source)) return "@lambdaform/shared";
  if (/(?:^|\/)bundler\/src\//.test(source)) return "@lambdaform/bundler";
  // A map written beside dist/ names the function's own sources relatively: ../src/handler.ts.
  if (/^(?:\.\.\/)+src\//.test(source)) return "(the function)";
  return source;
}

/** What a bundled source file's code does at init, in the words of the suspects. */
export function groupOf(source: string): string {
  const pkg = packageOf(source);
  if (pkg.startsWith("node:")) return BUILTINS;
  if (pkg === "@lambdaform/bundler")
    return "credentials from the environment (the bundler's replacement chain)";
  if (/credential-provider|nested-clients|token-providers/.test(pkg))
    return "AWS SDK: credential provider chain";
  if (
    /node-config-provider|shared-ini-file-loader|property-provider|config-resolver|defaults-mode/.test(source)
  )
    return "AWS SDK: region and config provider chains";
  const client = /@aws-sdk\/client-([a-z0-9-]+)\/dist-[a-z]+\/(.*)$/.exec(source);
  if (client) {
    const [, service, file = ""] = client;
    if (/^(schemas|models)\//.test(file)) return `AWS SDK ${service}: schemas and error classes`;
    if (file.startsWith("endpoint/")) return `AWS SDK ${service}: endpoint rules`;
    return `AWS SDK ${service}: client and command code`;
  }
  if (/^@(aws-sdk|smithy)\//.test(pkg)) return "AWS SDK core: client, middleware, protocols, signer, HTTP";
  if (pkg === "zod") return "zod: schema construction";
  if (/^@aws-lambda-powertools\/|^@aws\/lambda-invoke-store$/.test(pkg)) return "Powertools logger";
  if (/(?:^|\/)shared\/src\/logger\.ts$/.test(source)) return "@lambdaform/shared: logger";
  if (/(?:^|\/)shared\/src\//.test(source)) return "@lambdaform/shared: event schemas, config, helpers";
  if (/(?:^|\/)functions\/[^/]+\/src\/|^(?:\.\.\/)+src\//.test(source))
    return "the function's own code (clients, config, handler)";
  return pkg;
}

/** One profile's self time: Node's and V8's share by what it was (`rows`), the bundled code's by {@link groupOf} (`code`) and by package. */
export interface ProfileAnalysis {
  readonly totalMs: number;
  readonly rows: Map<string, number>;
  readonly code: Map<string, number>;
  readonly packages: Map<string, number>;
  readonly constructors: Map<string, number>;
}

/** Self time of one CPU profile of the import, by {@link groupOf} and by package. */
export function analyseProfile(
  profile: CpuProfile,
  bundleUrl: string,
  map: SourceMap,
  /** False for a minified bundle: a line of it holds many modules' top-level statements. */
  topLevelByLine = true,
): ProfileAnalysis {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sourceAt = (line: number, column: number) =>
    (map.findEntry(line, column) as { originalSource?: string }).originalSource ?? "(unmapped)";
  const inBundle = (n: ProfileNode) => n.callFrame.url === bundleUrl;
  // The module's top level: its statements come from every bundled module, told apart by line.
  const isTopLevel = (n: ProfileNode) => {
    const up = parent.get(n.id);
    return inBundle(n) && !(up !== undefined && inBundle(byId.get(up) as ProfileNode));
  };

  const selfMs = new Map<number, number>();
  const rows = new Map<string, number>();
  const code = new Map<string, number>();
  const packages = new Map<string, number>();
  const constructors = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const times = profile.samples.map((_, i) => profile.timeDeltas[i + 1] ?? 0.1 * 1000);
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (times[i] ?? 0) / 1000;
    totalMs += ms;
    const node = byId.get(id) as ProfileNode;
    // Inclusive: a client's or the logger's constructor anywhere on the stack.
    const seen = new Set<string>();
    let builtin = false;
    let caller: ProfileNode | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at) as ProfileNode;
      if (BUILTIN_LOADERS.has(n.callFrame.functionName)) builtin = true;
      if (!inBundle(n)) continue;
      caller ??= n;
      const source = sourceAt(n.callFrame.lineNumber, n.callFrame.columnNumber);
      const ctor =
        /@aws-sdk\/client-[a-z0-9-]+\/dist-[a-z]+\/([A-Za-z0-9]+Client)\.js$/.exec(source)?.[1] ??
        (/@aws-lambda-powertools\/logger\/lib\/[a-z]+\/Logger\.js$/.test(source)
          ? "Powertools Logger"
          : undefined);
      if (ctor && !seen.has(ctor)) {
        seen.add(ctor);
        add(constructors, `new ${ctor}(…)`, ms);
      }
    }
    if (inBundle(node)) {
      selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
      return;
    }
    const name = node.callFrame.functionName;
    if (builtin) add(rows, BUILTINS, ms);
    else if (name === "compileSourceTextModule") add(rows, COMPILE, ms);
    else if (name === "(garbage collector)") add(rows, "garbage collection", ms);
    else if (name === "(program)") add(rows, "V8 native (program: lazy compiles, ICs)", ms);
    else if (name === "(idle)") add(rows, "idle (waiting for file reads)", ms);
    else if (caller && !isTopLevel(caller)) {
      // A Node API called by bundled code: the caller's share.
      const source = sourceAt(caller.callFrame.lineNumber, caller.callFrame.columnNumber);
      add(code, groupOf(source), ms);
      add(packages, packageOf(source), ms);
    } else if (caller) add(rows, "Node APIs called from the bundle's top level", ms);
    else add(rows, "Node's ESM loader (resolve, read, link)", ms);
  });
  // Time under each node, for esbuild's helpers below.
  const inclusive = new Map<number, number>();
  for (const [id, ms] of selfMs)
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      inclusive.set(at, (inclusive.get(at) ?? 0) + ms);
  const charge = (source: string, ms: number) => {
    add(code, groupOf(source), ms);
    add(packages, packageOf(source), ms);
  };
  const attribute = (n: ProfileNode, ms: number): void => {
    const ticks = n.positionTicks ?? [];
    const total = ticks.reduce((s, t) => s + t.ticks, 0);
    if (isTopLevel(n) && !topLevelByLine) {
      add(code, "top-level statements (a minified bundle's lines do not tell its modules apart)", ms);
      return;
    }
    if (isTopLevel(n) && total > 0) {
      // The last mapping on a line (a top-level line is one statement of one module).
      for (const t of ticks) charge(sourceAt(t.line - 1, 1e9), (ms * t.ticks) / total);
      return;
    }
    const source = sourceAt(n.callFrame.lineNumber, n.callFrame.columnNumber);
    if (source !== "(unmapped)") {
      charge(source, ms);
      return;
    }
    // An esbuild helper (`__esm`, `__commonJS`): its own time is mostly V8 compiling the module
    // body it calls for the first time, so it goes to the modules it called, by their time.
    const called = (n.children ?? []).map((c) => byId.get(c) as ProfileNode).filter(inBundle);
    const under = called.reduce((s, c) => s + (inclusive.get(c.id) ?? 0), 0);
    if (under === 0) {
      add(code, "esbuild's module helpers", ms);
      return;
    }
    for (const c of called) attribute(c, (ms * (inclusive.get(c.id) ?? 0)) / under);
  };
  for (const [id, ms] of selfMs) attribute(byId.get(id) as ProfileNode, ms);
  return { totalMs, rows, code, packages, constructors };
}

/** Medians, row by row, over several runs' maps (a row missing from a run counts 0 there). */
export function medianRows(runs: ReadonlyArray<Map<string, number>>): InitRow[] {
  const keys = new Set(runs.flatMap((m) => [...m.keys()]));
  return [...keys]
    .map((what) => ({ what, ms: stat(runs.map((m) => m.get(what) ?? 0)).median }))
    .sort((a, b) => b.ms - a.ms);
}
