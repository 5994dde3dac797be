import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import type { FunctionSpec } from "../stack/read-stack.ts";
import { linkSourceMap } from "./source-maps.ts";

/**
 * Unpacks a function's deployment zip (the exact artifact Terraform uploads) into
 * `<cacheDir>/<function>/<hash>/`, as Lambda unpacks it into /var/task. Unpacked once per hash.
 * With `sourceMap` (the bundle's map, which never ships in the zip) the unpacked bundle is linked
 * to it, for debuggers and mapped stack traces.
 *
 * Every entry must stay inside the task root: a name with `..` that climbs out of it, an absolute
 * name, or a symbolic link whose target resolves outside it fails the unpack, naming the entry and
 * the zip, and nothing of the zip is written. Links that stay inside are made once every file is
 * written, so no write goes through one.
 *
 * @throws when the zip is missing, no longer matches the `source_code_hash` that was synthesized,
 *   or has an entry that escapes the task root.
 */
export function unpackFunction(spec: FunctionSpec, cacheDir: string, sourceMap?: string): string {
  if (!existsSync(spec.zipPath)) {
    throw new Error(`${spec.shortName}: deployment package ${spec.zipPath} is missing. Run \`pnpm synth\`.`);
  }
  const zip = readFileSync(spec.zipPath);
  const hash = createHash("sha256").update(zip).digest("base64");
  if (spec.sourceCodeHash && hash !== spec.sourceCodeHash) {
    throw new Error(
      `${spec.shortName}: ${spec.zipPath} does not match its source_code_hash in the stack. Run \`pnpm synth\` again.`,
    );
  }
  const taskRoot = join(cacheDir, spec.name, hash.replace(/[^A-Za-z0-9]/g, "").slice(0, 16));
  if (existsSync(join(taskRoot, ".complete"))) {
    linkSourceMap(taskRoot, sourceMap);
    return taskRoot;
  }
  const entries = zipEntries(zip, `${spec.shortName}: ${spec.zipPath}`);
  const staging = `${taskRoot}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const entry of entries) {
      if (entry.kind !== "file") continue;
      const target = join(staging, entry.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, entry.data);
    }
    for (const entry of entries) {
      if (entry.kind !== "link") continue;
      const target = join(staging, entry.path);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(entry.target, target);
    }
    writeFileSync(join(staging, ".complete"), "");
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  rmSync(taskRoot, { recursive: true, force: true });
  mkdirSync(dirname(taskRoot), { recursive: true });
  renameSync(staging, taskRoot);
  linkSourceMap(taskRoot, sourceMap);
  return taskRoot;
}

type Entry =
  | { readonly kind: "file"; readonly name: string; readonly path: string; readonly data: Uint8Array }
  | { readonly kind: "link"; readonly name: string; readonly path: string; readonly target: string };

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/**
 * A zip's entries, each checked to stay inside the directory it is unpacked in: `path` is the
 * entry's normalized relative path; a link's target is its contents.
 *
 * @throws naming the entry and `zipName` for one that escapes.
 */
function zipEntries(zip: Uint8Array, zipName: string): Entry[] {
  const modes = unixModes(zip);
  const files = unzipSync(zip);
  const escapes = (name: string, why: string) =>
    new Error(
      `${zipName}: zip entry "${name}" ${why}, outside the function's task root. Refusing to unpack it; rebuild the zip.`,
    );
  const entries: Entry[] = [];
  for (const [name, data] of Object.entries(files)) {
    const mode = (modes.get(name) ?? 0) & S_IFMT;
    if (name.endsWith("/") || mode === S_IFDIR) continue;
    if (posix.isAbsolute(name)) throw escapes(name, "is an absolute path");
    const path = posix.normalize(name);
    if (path === ".." || path.startsWith("../")) throw escapes(name, "climbs out with ..");
    if (path === ".") throw escapes(name, "names the directory itself, not a file");
    entries.push(
      mode === S_IFLNK
        ? { kind: "link", name, path, target: strFromU8(data) }
        : { kind: "file", name, path, data },
    );
  }
  // Links are resolved through one another, as the file system would follow them.
  const links = new Map(entries.flatMap((e) => (e.kind === "link" ? [[e.path, e.target] as const] : [])));
  for (const entry of entries) {
    if (entry.kind === "link" && !resolvesInside(posix.dirname(entry.path), entry.target, links))
      throw escapes(entry.name, `is a symbolic link to "${entry.target}"`);
  }
  return entries;
}

/**
 * Whether `target`, followed from directory `from` (both relative to the root, the links among
 * `links` followed too), stays inside the root. A chain of more than 40 links counts as escaping.
 */
function resolvesInside(from: string, target: string, links: ReadonlyMap<string, string>): boolean {
  if (posix.isAbsolute(target)) return false;
  let hops = 0;
  const walk = (base: string[], path: string): string[] | undefined => {
    const at = [...base];
    for (const part of path.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (at.length === 0) return undefined;
        at.pop();
        continue;
      }
      at.push(part);
      const link = links.get(at.join("/"));
      if (link !== undefined) {
        if (++hops > 40 || posix.isAbsolute(link)) return undefined;
        const resolved = walk(at.slice(0, -1), link);
        if (!resolved) return undefined;
        at.splice(0, at.length, ...resolved);
      }
    }
    return at;
  };
  // The link's own directory may be reached through a link too.
  const base = walk([], from);
  return base !== undefined && walk(base, target) !== undefined;
}

/**
 * The Unix mode of each entry that has one (from the central directory's external attributes,
 * when the entry was made on Unix), by name as fflate decodes it.
 */
function unixModes(zip: Uint8Array): Map<string, number> {
  const modes = new Map<string, number>();
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end of central directory record: 22 bytes, then a comment of up to 65,535.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) return modes;
  let count = view.getUint16(end + 8, true);
  let at = view.getUint32(end + 16, true);
  // Zip64: the locator just before the record points at the zip64 end of central directory.
  if (end >= 20 && view.getUint32(end - 20, true) === 0x07064b50) {
    const zip64 = Number(view.getBigUint64(end - 12, true));
    if (zip64 + 56 <= zip.length && view.getUint32(zip64, true) === 0x06064b50) {
      count = Number(view.getBigUint64(zip64 + 32, true));
      at = Number(view.getBigUint64(zip64 + 48, true));
    }
  }
  for (let n = 0; n < count && at + 46 <= zip.length; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) break;
    const madeBy = view.getUint8(at + 5);
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const attributes = view.getUint32(at + 38, true);
    const name = strFromU8(zip.subarray(at + 46, at + 46 + nameLength), !(flags & 0x800));
    if (madeBy === 3) modes.set(name, attributes >>> 16);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return modes;
}
