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
import {
  analyseProfile,
  type CpuProfile,
  type InitRow,
  medianRows,
  type ProfileAnalysis,
} from "./init-profile.ts";
import { type Stat, stat } from "./stats.ts";

const FUNCTIONS = ["hello-api", "s3-processor", "ec2-monitor"] as const;
const CHILD = new URL("./init-child.mjs", import.meta.url).pathname;

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
