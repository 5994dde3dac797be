import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PersistentMoto } from "@lambdaform/moto";

/** Whether a state directory holds anything to restore (a snapshot, or journal entries). */
export function hasState(stateDir: string): boolean {
  const size = (file: string) => (existsSync(file) ? statSync(file).size : 0);
  return size(join(stateDir, "snapshot.pkl")) > 0 || size(join(stateDir, "journal.jsonl")) > 0;
}

/** What the start restored, in one line. */
export function restoredSummary(moto: PersistentMoto): string {
  const r = moto.restored;
  const tail =
    r.dropped_bytes > 0
      ? `; dropped a torn last journal line (${r.dropped_bytes} bytes, never acknowledged)`
      : "";
  return `restored a snapshot of ${r.snapshot_seq} writes and ${r.replayed} journaled since, in ${r.seconds.toFixed(2)} s${tail}`;
}

/**
 * Data directories of earlier versions kept moto's state as a recording of every request. That
 * state cannot be restored any more: the recording and the Terraform state that goes with it are
 * moved aside, and this start deploys afresh.
 */
export function setAsideOldRecording(dataDir: string, progress: (line: string) => void): void {
  const recording = join(dataDir, "moto-recording.jsonl");
  if (!existsSync(recording)) return;
  const aside = join(dataDir, `before-snapshots-${Date.now()}`);
  mkdirSync(aside, { recursive: true });
  renameSync(recording, join(aside, "moto-recording.jsonl"));
  if (existsSync(join(dataDir, "terraform")))
    renameSync(join(dataDir, "terraform"), join(aside, "terraform"));
  progress(
    `notice: this data directory kept moto's state in an older form; it was moved to ${aside} and the stack is deployed afresh`,
  );
}
