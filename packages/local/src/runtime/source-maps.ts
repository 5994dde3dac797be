import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The bundle and its map in a task root, as the bundler names them. */
const BUNDLE = "index.mjs";
const MAP = `${BUNDLE}.map`;
const REFERENCE = `\n//# sourceMappingURL=${MAP}\n`;

/**
 * Links a task root's bundle to its source map: the map is copied beside the bundle (when it is
 * elsewhere) and the unpacked bundle gets a `sourceMappingURL` comment, so a debugger attached to
 * the execution environment binds breakpoints in the TypeScript sources. Only the unpacked copy
 * changes; the shipped zip never holds a map or a reference to one. Safe to repeat.
 */
export function linkSourceMap(taskRoot: string, mapFile: string | undefined): void {
  const bundle = join(taskRoot, BUNDLE);
  const map = join(taskRoot, MAP);
  if (!existsSync(bundle)) return;
  if (mapFile && resolve(mapFile) !== resolve(map) && !existsSync(map)) {
    // The map's sources are relative to where it was written: make them absolute for its new place.
    const payload = JSON.parse(readFileSync(mapFile, "utf8")) as { sources?: string[]; sourceRoot?: string };
    const base = resolve(dirname(mapFile), payload.sourceRoot ?? "");
    payload.sources = (payload.sources ?? []).map((source) => resolve(base, source));
    payload.sourceRoot = undefined;
    writeFileSync(map, JSON.stringify(payload));
  }
  if (!existsSync(map)) return;
  const code = readFileSync(bundle, "utf8");
  if (!code.includes(`sourceMappingURL=${MAP}`)) writeFileSync(bundle, `${code}${REFERENCE}`);
}

/** A generated position in a stack frame: `…/index.mjs:<line>:<column>` (1-based). */
const FRAME = /(?:file:\/\/)?(\/[^\s():]*\/index\.mjs):(\d+):(\d+)/g;

/**
 * Rewrites stack frames that point into a task root's bundle (`…/index.mjs:1:2345`) to the
 * TypeScript source they came from (`packages/functions/hello-api/src/handler.ts:12:5`), in the
 * host, from the map beside the bundle. The execution environment runs without source-map support,
 * so cold starts cost what they cost on Lambda; the map is read once, on the first frame to map.
 */
export class StackTraceMapper {
  private map?: { consumer: SourceMap; dir: string } | null;

  constructor(
    private readonly taskRoot: string,
    /** Source paths are shown relative to this directory (the repository root). */
    private readonly relativeTo = process.cwd(),
  ) {}

  /** The text with every frame of this task root's bundle mapped; other text unchanged. */
  mapText(text: string): string {
    if (!text.includes(`${BUNDLE}:`)) return text;
    return text.replace(FRAME, (frame, file: string, line: string, column: string) => {
      if (resolve(dirname(file)) !== resolve(this.taskRoot)) return frame;
      const map = this.load();
      if (!map) return frame;
      const entry = map.consumer.findEntry(Number(line) - 1, Number(column) - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
      };
      if (!entry.originalSource || entry.originalLine === undefined) return frame;
      const source = entry.originalSource.startsWith("file://")
        ? fileURLToPath(entry.originalSource)
        : resolve(map.dir, entry.originalSource);
      return `${relative(this.relativeTo, source)}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    });
  }

  private load(): { consumer: SourceMap; dir: string } | null {
    if (this.map !== undefined) return this.map;
    const file = join(this.taskRoot, MAP);
    try {
      this.map = { consumer: new SourceMap(JSON.parse(readFileSync(file, "utf8"))), dir: this.taskRoot };
    } catch {
      this.map = null;
    }
    return this.map;
  }
}
