// `pnpm bench --only init`: each function's cold init (a fresh node process importing the built
// bundle, as Lambda's init phase does), interleaved with `node -e 0`, and where the import's time
// goes, from a CPU profile of exactly the import.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildFunction } from "@lambdaform/bundler";
import { type Stat, stat } from "./stats.ts";

const FUNCTIONS = ["hello-api", "s3-processor", "ec2-monitor"] as const;
const CHILD = new URL("./init-child.mjs", import.meta.url).pathname;

/** One row of a profile: what the time went to, in ms (the median over the profiled runs). */
export interface InitRow {
  readonly what: string;
  readonly ms: number;
}

/** Node running an empty ES module as its entry, against `node -e 0`: the part no bundle can save. */
export interface InitFloor {
  readonly emptyModule: Stat;
  readonly nodeE0: Stat;
  readonly overhead: number;
}

export interface InitBench {
  readonly name: string;
  readonly bundleBytes: number;
  /** Wall time of whole processes, interleaved: `node dist/index.mjs` (the bundle as the entry point) and `node -e 0`. */
  readonly wallMs: { readonly bundleImported: Stat; readonly nodeE0: Stat; readonly overhead: number };
  /** The `import()` of the bundle alone, timed inside the process. */
  readonly importMs: Stat;
  /** The same function built in another checkout (`--baseline <dir>`), measured interleaved with this one. */
  readonly baseline?: {
    readonly bundleBytes: number;
    readonly bundleImported: Stat;
    readonly overhead: number;
    readonly importMs: Stat;
    /** From its shipped bundle and map alone: its top-level statements are told apart only as far as its few lines go. */
    readonly profile: InitProfile;
  };
  readonly profile: InitProfile;
}

export interface InitProfile {
  readonly runs: number;
  /** Median profiled import time (the profiler itself slows it a little). */
  readonly totalMs: number;
  /** Self time by what it was spent on; the rows add up to the total. */
  readonly rows: ReadonlyArray<InitRow>;
  /** The same self time of the bundle's own code by npm package. */
  readonly packages: ReadonlyArray<InitRow>;
  /** Time inside constructors (everything they call included): SDK clients, the logger. */
  readonly constructors: ReadonlyArray<InitRow>;
}

/**
 * The environment Lambda (and the local runtime) gives a function: region and credentials in env.
 * Nothing else of this process's is passed on: a variable such as NODE_EXTRA_CA_CERTS (read at every
 * start of node) weighs on both sides alike and only buries the difference in noise.
 */
function lambdaEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_SESSION_TOKEN: "bench",
    AWS_ENDPOINT_URL: "http://127.0.0.1:9",
    AWS_LAMBDA_FUNCTION_NAME: "bench",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    TABLE_NAME: "bench-table",
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): { wallMs: number; stdout: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, encoding: "utf8" });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${result.stderr}`);
  return { wallMs, stdout: result.stdout };
}

// --- Profile analysis --------------------------------------------------------------------------

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
interface CpuProfile {
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
function medianRows(runs: ReadonlyArray<Map<string, number>>): InitRow[] {
  const keys = new Set(runs.flatMap((m) => [...m.keys()]));
  return [...keys]
    .map((what) => ({ what, ms: stat(runs.map((m) => m.get(what) ?? 0)).median }))
    .sort((a, b) => b.ms - a.ms);
}

// --- The bench -----------------------------------------------------------------------------------

const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const scaled = (m: ReadonlyMap<string, number>, by: number) => new Map([...m].map(([k, v]) => [k, v * by]));
/** Both maps' rows, a row in both summed (the built-ins' row has Node's share and the re-exports'). */
function merged(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

/** Profiles the import of `bundle` (its source map beside it) in a fresh process. */
function profileOnce(
  bundle: string,
  file: string,
  env: NodeJS.ProcessEnv,
  topLevelByLine: boolean,
): ProfileAnalysis {
  const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, "utf8")));
  run([CHILD, bundle, file], env);
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  return analyseProfile(profile, pathToFileURL(bundle).href, map, topLevelByLine);
}

/**
 * Profiles the import of the shipped `bundle` `runs` times, each run beside one of `twin` (the same
 * bundle with its line breaks kept). Everything but the bundled code's own time (V8 compiling the
 * bundle, the built-ins, the ESM loader, GC, constructors) comes from the shipped bundle; that own
 * time is split by what it was spent on in the twin's proportions (a minified bundle has a few long
 * lines, so the twin's line ticks are what tell its modules' top-level statements apart). Without a
 * twin, the shipped bundle's top-level statements stay one row.
 */
export function profileImport(
  bundle: string,
  twin: string | undefined,
  runs: number,
  work: string,
  env: NodeJS.ProcessEnv,
): InitProfile {
  const analysed: ProfileAnalysis[] = [];
  for (let i = 0; i < runs; i++) {
    const shipped = profileOnce(bundle, join(work, `shipped-${i}.cpuprofile`), env, false);
    if (!twin) {
      analysed.push(shipped);
      continue;
    }
    const lines = profileOnce(twin, join(work, `twin-${i}.cpuprofile`), env, true);
    const by = sum(lines.code) > 0 ? sum(shipped.code) / sum(lines.code) : 0;
    analysed.push({ ...shipped, code: scaled(lines.code, by), packages: scaled(lines.packages, by) });
  }
  return {
    runs,
    totalMs: stat(analysed.map((a) => a.totalMs)).median,
    rows: medianRows(analysed.map((a) => merged(a.rows, a.code))),
    packages: medianRows(analysed.map((a) => a.packages)),
    constructors: medianRows(analysed.map((a) => a.constructors)),
  };
}

/**
 * Cold init of each function's built bundle against `node -e 0`, and a CPU profile of the import.
 * With `baselineRoot` (another checkout, built), its bundles run too, interleaved with these.
 */
export async function benchInit(
  root: string,
  options: { readonly runs: number; readonly profileRuns: number; readonly baselineRoot?: string },
  progress: (s: string) => void,
): Promise<{ floor: InitFloor; functions: InitBench[] }> {
  const env = lambdaEnv();
  const work = mkdtempSync(join(tmpdir(), "lf-bench-init-"));
  const bundleOf = (checkout: string, name: string) =>
    join(checkout, "packages", "functions", name, "dist", "index.mjs");
  try {
    const sides = [root, ...(options.baselineRoot ? [options.baselineRoot] : [])];
    const bundles = sides.map((checkout) => FUNCTIONS.map((name) => bundleOf(checkout, name)));
    // The floor: Node loading an empty ES module as its entry (the ESM loader any bundle pays for).
    const empty = join(work, "empty.mjs");
    writeFileSync(empty, "");
    // One unmeasured round first, so the file cache holds every bundle.
    run(["-e", "0"], env);
    for (const bundle of [empty, ...bundles.flat()]) run([bundle], env);
    const nodeE0: number[] = [];
    const emptyModule: number[] = [];
    const wall = sides.map(() => FUNCTIONS.map((): number[] => []));
    const importMs = sides.map(() => FUNCTIONS.map((): number[] => []));
    for (let i = 0; i < options.runs; i++) {
      progress(`init: cold import, run ${i + 1}/${options.runs} (each bundle and node -e 0, interleaved)`);
      nodeE0.push(run(["-e", "0"], env).wallMs);
      emptyModule.push(run([empty], env).wallMs);
      for (const [f] of FUNCTIONS.entries())
        for (const [side, list] of bundles.entries()) {
          const bundle = list[f] ?? "";
          // The whole process, the bundle as its entry point: what Lambda's init does, and nothing else.
          wall[side]?.[f]?.push(run([bundle], env).wallMs);
          const { stdout } = run([CHILD, bundle], env);
          importMs[side]?.[f]?.push((JSON.parse(stdout) as { importMs: number }).importMs);
        }
    }

    const node = stat(nodeE0);
    const floor = stat(emptyModule);
    const functions: InitBench[] = [];
    for (const [f, name] of FUNCTIONS.entries()) {
      // A twin of the bundle that keeps its line breaks (the same modules, the same tree-shaking and
      // minified names), whose line ticks tell the top-level statements of each module apart.
      progress(`init: ${name} CPU profile (${options.profileRuns} run(s))`);
      const twin = join(work, name);
      await buildFunction(join(root, "packages", "functions", name), twin, {
        quiet: true,
        keepLineBreaks: true,
      });
      const shipped = bundles[0]?.[f] ?? "";
      const profile = profileImport(shipped, join(twin, "index.mjs"), options.profileRuns, work, env);
      const bundle = stat(wall[0]?.[f] ?? []);
      const base = options.baselineRoot ? bundleOf(options.baselineRoot, name) : undefined;
      const baseWall = stat(wall[1]?.[f] ?? []);
      functions.push({
        name,
        bundleBytes: statSync(bundles[0]?.[f] ?? "").size,
        wallMs: { bundleImported: bundle, nodeE0: node, overhead: bundle.median - node.median },
        importMs: stat(importMs[0]?.[f] ?? []),
        ...(base
          ? {
              baseline: {
                bundleBytes: statSync(base).size,
                bundleImported: baseWall,
                overhead: baseWall.median - node.median,
                importMs: stat(importMs[1]?.[f] ?? []),
                profile: profileImport(base, undefined, options.profileRuns, work, env),
              },
            }
          : {}),
        profile,
      });
    }
    return { floor: { emptyModule: floor, nodeE0: node, overhead: floor.median - node.median }, functions };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
