import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@lambdaform/testkit";
import { expect } from "chai";
import { SourceWatcher } from "../../src/watch/source-watcher.ts";

// On the real filesystem: the ways editors save, each seen every time, not only the first.
describe("hot reload's source watcher, with editors' ways of saving", () => {
  let dir: string;
  let changes: number;
  let logged: string[];
  let watcher: SourceWatcher | undefined;
  const file = () => join(dir, "src", "answer.ts");
  /** Saves, then waits for the change to be reported; returns how long that took. */
  const savedAndSeen = async (what: string, save: () => void) => {
    const before = changes;
    const started = performance.now();
    save();
    await eventually(what, () => (changes > before ? true : undefined), { timeoutMs: 2000, everyMs: 2 });
    return performance.now() - started;
  };

  beforeEach(async () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), "lf-watch-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(file(), "export const a = 0;\n");
    // An older time: a save within the same clock tick as this write keeps its mtime, and a
    // watcher rightly reports no change of a file whose size and mtime are both the same.
    utimesSync(file(), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    changes = 0;
    logged = [];
    watcher = new SourceWatcher({
      dirs: [join(dir, "src")],
      files: /\.ts$/,
      onChange: () => changes++,
      log: (line) => logged.push(line),
      // Longer than every wait below: a change must be seen through its event, not the poll.
      pollMs: 60_000,
    });
    watcher.start();
  });

  afterEach(() => {
    watcher?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sees every save written in place, each within 200 ms", async () => {
    for (let i = 1; i <= 3; i++) {
      const took = await savedAndSeen(`in-place save ${i}`, () =>
        writeFileSync(file(), `export const a = ${i};\n`),
      );
      expect(took).to.be.below(200);
    }
  });

  it("sees every save written to a temporary file and renamed over the source (vim, JetBrains), not only the first", async () => {
    // Node 20's recursive fs.watch lost the file after the first rename: saves 2 and 3 went unseen.
    for (let i = 1; i <= 5; i++)
      await savedAndSeen(`rename save ${i}`, () => {
        writeFileSync(`${file()}.tmp`, `export const a = ${i};\n`);
        renameSync(`${file()}.tmp`, file());
      });
  });

  it("sees every `sed -i` edit", async function () {
    if (spawnSync("sed", ["--version"]).status !== 0) this.skip();
    for (let i = 1; i <= 3; i++)
      await savedAndSeen(`sed -i edit ${i}`, () => spawnSync("sed", ["-i", `s/= [0-9]*;/= ${i};/`, file()]));
  });

  it("sees a save that comes moments after the one before (a formatter's second write)", async () => {
    // chokidar, tried first, dropped a save written within about 50 ms of the one before.
    for (let i = 1; i <= 10; i++)
      await savedAndSeen(`quick save ${i}`, () => writeFileSync(file(), `export const a = ${i};\n`));
  });

  it("sees a new directory written with a file in it, that file's saves, and its deletion", async () => {
    const added = join(dir, "src", "deeper", "more.ts");
    await savedAndSeen("a new directory with a file", () => {
      mkdirSync(join(dir, "src", "deeper"));
      writeFileSync(added, "export const b = 1;\n");
    });
    await savedAndSeen("a save in the new directory", () => writeFileSync(added, "export const b = 2;\n"));
    await savedAndSeen("the file deleted", () => unlinkSync(added));
  });

  it("ignores other files and hidden ones (an editor's swap file, .git, node_modules)", async () => {
    writeFileSync(join(dir, "src", "notes.md"), "x");
    writeFileSync(join(dir, "src", ".answer.ts.swp"), "x");
    mkdirSync(join(dir, "src", ".git"));
    writeFileSync(join(dir, "src", ".git", "x.ts"), "x");
    mkdirSync(join(dir, "src", "node_modules"));
    writeFileSync(join(dir, "src", "node_modules", "x.ts"), "x");
    // Given time to be seen if they counted.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(changes).to.equal(0);
    await savedAndSeen("a source save", () => writeFileSync(file(), "export const a = 9;\n"));
    expect(logged).to.deep.equal([]);
  });

  it("without any event, still sees each kind of save within pollMs (the safety net for lost events)", async () => {
    // Prepare
    watcher?.close();
    watcher = new SourceWatcher({
      dirs: [join(dir, "src")],
      files: /\.ts$/,
      onChange: () => changes++,
      log: () => {},
      pollMs: 40,
      events: false,
    });
    watcher.start();
    // Act, Assess
    await savedAndSeen("in place, by the poll", () => writeFileSync(file(), "export const a = 1;\n"));
    await savedAndSeen("renamed over, by the poll", () => {
      writeFileSync(`${file()}.tmp`, "export const a = 2;\n");
      renameSync(`${file()}.tmp`, file());
    });
    await savedAndSeen("deleted, by the poll", () => unlinkSync(file()));
  });
});
