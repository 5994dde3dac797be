import { type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { join } from "node:path";

export interface SourceWatcherOptions {
  readonly dirs: ReadonlyArray<string>;
  /** The files whose change counts (by name); anything else is left alone. */
  readonly files: RegExp;
  /** A file under one of the directories was written, added or removed (called once per change seen). */
  readonly onChange: () => void;
  /** Said when a directory cannot be watched. */
  readonly log: (line: string) => void;
  /** How often the tree is compared with its last reading when no event came (default 250 ms). */
  readonly pollMs?: number;
  /** Directory events as hints (default true; tests turn them off to exercise the poll alone). */
  readonly events?: boolean;
}

/** What a tree's source files look like now: every file's path, size, inode and change times. */
function readTree(dirs: ReadonlyArray<string>, files: RegExp): { signature: string; dirs: string[] } {
  const parts: string[] = [];
  const seenDirs: string[] = [];
  const walk = (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    seenDirs.push(dir);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      // Hidden files and directories (`.git`, editors' swap and backup files) never count.
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (files.test(entry.name)) {
        const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
        if (stat)
          parts.push(`${path}\u0000${stat.size}\u0000${stat.ino}\u0000${stat.mtimeNs}\u0000${stat.ctimeNs}`);
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return { signature: parts.join("\n"), dirs: seenDirs };
}

/**
 * Watches source trees the way editors save into them: in place, by writing a temporary file and
 * renaming it over the old one (vim, JetBrains, `sed -i`), in new directories, by deleting.
 *
 * Hand-written because the libraries tried each missed saves here: Node 20's recursive `fs.watch`
 * lost a file after its first rename-save, chokidar 5 dropped a save within ~50 ms of the one
 * before, @parcel/watcher 2.6 now and then lost a rename and the files of a new directory. So an
 * event is only a hint: it wakes a comparison of the whole tree (path, size, inode and change
 * times of every source file: well under a millisecond for a package's sources), and the same
 * comparison runs every `pollMs` whatever the events did. A change is reported exactly when the
 * tree differs from its last reading.
 */
export class SourceWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private signature = "";
  private poll?: NodeJS.Timeout;
  private pending?: NodeJS.Immediate;
  private closed = false;

  constructor(private readonly options: SourceWatcherOptions) {}

  /** Reads the tree and starts watching it; a save made after this returns is never missed. */
  start(): void {
    for (const dir of this.options.dirs)
      if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true)
        this.options.log(`hot reload cannot watch ${dir}: it is not a directory`);
    this.compare(false);
    this.poll = setInterval(() => this.compare(true), this.options.pollMs ?? 250);
    this.poll.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    if (this.pending) clearImmediate(this.pending);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** An event: compare once the burst it belongs to (an editor's several writes) has been read. */
  private hint(): void {
    this.pending ??= setImmediate(() => {
      this.pending = undefined;
      this.compare(true);
    });
  }

  private compare(report: boolean): void {
    if (this.closed) return;
    const tree = readTree(this.options.dirs, this.options.files);
    if (this.options.events !== false) this.watchDirectories(tree.dirs);
    if (tree.signature === this.signature) return;
    this.signature = tree.signature;
    if (report) this.options.onChange();
  }

  /** One plain (non-recursive) watch per directory: it reports renames into it, unlike a file's. */
  private watchDirectories(dirs: ReadonlyArray<string>): void {
    const now = new Set(dirs);
    for (const [dir, watcher] of this.watchers)
      if (!now.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, () => this.hint());
        // A directory removed under its watch: the next comparison drops it.
        watcher.on("error", () => this.hint());
        this.watchers.set(dir, watcher);
      } catch {
        // Gone between the reading and the watch: the next comparison sees it.
      }
    }
  }
}
