import { mkdirSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { linkSourceMap } from "../runtime/source-maps.ts";
import { BuildError, type FunctionBuilder } from "./builder.ts";
import { SourceWatcher } from "./source-watcher.ts";

/** The files whose change rebuilds a function; anything else under `src/` is left alone. */
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|json)$/;
/** Editors write a file in several steps; one batch of changes builds once. */
const SETTLE_MS = 30;
/** Builds kept per package: the current one, and the one before for environments still starting. */
const KEEP_BUILDS = 3;

export interface FunctionWatcherOptions {
  readonly root: string;
  /** The deployed functions each package builds (`packages/functions/<name>` → function names). */
  readonly packages: ReadonlyMap<string, ReadonlyArray<string>>;
  /** Source directories every package bundles (`packages/shared/src`): a change rebuilds them all. */
  readonly shared: ReadonlyArray<string>;
  /** Where rebuilt bundles go, one directory per build. */
  readonly buildDir: string;
  readonly builder: FunctionBuilder;
  /** Swaps a function's code for the bundle in `taskRoot`; resolves once the new code can serve. */
  readonly reload: (functionName: string, taskRoot: string) => Promise<void>;
  /** Builds made before the first save, by package (see FunctionBuilder.prepare). */
  readonly warmed?: Promise<ReadonlyMap<string, string>>;
  /** A function's package was built ahead into `taskRoot`: its next build will link the same vendor files. */
  readonly prepared?: (functionName: string, taskRoot: string) => void;
  /** The name to print for a function. */
  readonly label: (functionName: string) => string;
  readonly log: (line: string) => void;
}

/** A package's state between a change and its rebuild. */
interface PackageState {
  timer?: NodeJS.Timeout;
  /** When the first change of the batch being built was seen. */
  changedAt?: number;
  building: boolean;
  /** Changed again while it was building: build once more when done. */
  dirty: boolean;
  builds: number;
}

/**
 * Function hot reload: watches each function package's `src/` and the shared sources it bundles;
 * on a save, rebuilds only the affected packages with the shipped bundler configuration and swaps
 * the code of their functions (new invocations start fresh environments on the new bundle;
 * running ones finish on theirs). A build error is printed with file and line, and the last good
 * code keeps serving. Tests, `dist/`, `node_modules` and pnpm's links are never watched: only
 * `src/` directories are.
 */
export class FunctionWatcher {
  private readonly watchers: SourceWatcher[] = [];
  private readonly state = new Map<string, PackageState>();
  private closed = false;

  constructor(private readonly options: FunctionWatcherOptions) {}

  /** Starts watching: a save made after this returns is never missed. */
  start(): void {
    for (const dir of this.options.packages.keys()) {
      this.state.set(dir, { building: false, dirty: false, builds: 0 });
      this.watch(join(dir, "src"), [dir]);
    }
    for (const dir of this.options.shared) this.watch(dir, [...this.options.packages.keys()]);
    void this.options.warmed?.then((built) => {
      for (const [pkg, outDir] of built) {
        // A save built already: its reload made the spare.
        if (this.closed || (this.state.get(pkg)?.builds ?? 1) > 0) continue;
        for (const fn of this.options.packages.get(pkg) ?? []) this.options.prepared?.(fn, outDir);
      }
    });
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers) watcher.close();
    for (const state of this.state.values()) clearTimeout(state.timer);
  }

  private watch(dir: string, packages: ReadonlyArray<string>): void {
    const watcher = new SourceWatcher({
      dirs: [dir],
      files: SOURCE_FILE,
      onChange: () => {
        for (const pkg of packages) this.changed(pkg);
      },
      log: this.options.log,
    });
    watcher.start();
    this.watchers.push(watcher);
  }

  private changed(pkg: string): void {
    const state = this.state.get(pkg);
    if (!state || this.closed) return;
    state.changedAt ??= performance.now();
    if (state.building) {
      state.dirty = true;
      return;
    }
    clearTimeout(state.timer);
    state.timer = setTimeout(() => void this.rebuild(pkg, state), SETTLE_MS);
  }

  private async rebuild(pkg: string, state: PackageState): Promise<void> {
    state.building = true;
    state.dirty = false;
    const started = state.changedAt ?? performance.now();
    state.changedAt = undefined;
    const functions = this.options.packages.get(pkg) ?? [];
    const names = functions.map((f) => this.options.label(f)).join(", ");
    const outDir = join(this.options.buildDir, basename(pkg), String(++state.builds));
    try {
      mkdirSync(outDir, { recursive: true });
      await this.options.builder.build(pkg, outDir);
      const builtMs = performance.now() - started;
      if (this.closed) return;
      linkSourceMap(outDir, undefined);
      // The new code is swapped in once its first environment is initialized (invocations run the
      // old code until then); the line says so. The next save builds at once, meanwhile.
      const ready = functions.map((fn) => this.options.reload(fn, outDir));
      const build = state.builds;
      void Promise.allSettled(ready).then(() => {
        if (this.closed) return;
        // The whole wait, from the save; then how much of it was the build (the rest: the init).
        this.options.log(
          `reloaded ${names} in ${Math.round(performance.now() - started)} ms (build ${Math.round(builtMs)} ms)`,
        );
        this.prune(pkg, build);
      });
    } catch (error) {
      const detail =
        error instanceof BuildError ? error.format(pkg, this.options.root) : (error as Error).message;
      this.options.log(`build of ${names} failed; the last good code keeps serving:\n${detail}`);
      rmSync(outDir, { recursive: true, force: true });
    } finally {
      state.building = false;
      if (state.dirty && !this.closed) this.changed(pkg);
    }
  }

  /**
   * Removes builds older than the last few, and the vendor directories no build left links to
   * (not while a build runs: it may have written one it has not linked yet).
   */
  private prune(pkg: string, latest: number): void {
    if (this.closed) return;
    const dir = join(this.options.buildDir, basename(pkg));
    const entries = readdirSync(dir);
    for (const entry of entries)
      if (Number(entry) <= latest - KEEP_BUILDS) rmSync(join(dir, entry), { recursive: true, force: true });
    if (this.state.get(pkg)?.building) return;
    const linked = new Set<string>();
    for (const entry of readdirSync(dir))
      if (/^\d+$/.test(entry)) {
        try {
          linked.add(basename(readlinkSync(join(dir, entry, "vendor"))));
        } catch {
          // No vendor link (yet, or any longer).
        }
      }
    for (const entry of entries)
      if (entry.startsWith("vendor-") && !linked.has(entry))
        rmSync(join(dir, entry), { recursive: true, force: true });
  }
}
