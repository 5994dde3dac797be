import { createHash } from "node:crypto";
import { zipSync } from "fflate";

/** One file to put in a function zip. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

// DOS time stamps are local time. A date built from local-time parts reads back as the same parts in
// any time zone, so every machine writes the same bytes.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const UNIX = 3;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

/**
 * Writes a deterministic zip: entries sorted by name, fixed time stamps, fixed permissions and
 * compression level, so two builds of the same bundle give byte-identical archives.
 */
export function deterministicZip(entries: ReadonlyArray<ZipEntry>): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: Record<string, [Uint8Array, { mtime: Date; os: number; attrs: number; level: 9 }]> = {};
  for (const entry of sorted) {
    files[entry.name] = [entry.data, { mtime: FIXED_MTIME, os: UNIX, attrs: REGULAR_FILE_0644, level: 9 }];
  }
  return zipSync(files);
}

/** The base64 SHA-256 of a file's bytes, as Terraform's `source_code_hash` expects it. */
export function base64Sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("base64");
}
