import type { DevProcess } from "./dev-process.ts";

/** What one scenario measured, and what it found wrong. */
export interface ScenarioResult {
  readonly name: string;
  /** The measured figures, as `label: value` pairs in the order they are printed. */
  readonly measured: ReadonlyArray<readonly [string, string | number]>;
  /** Acknowledged work (uploads, events, requests) that did not reach its end. */
  readonly lost: number;
  /** Work applied more than once where once was owed. */
  readonly duplicated: number;
  /** Rows that went back to an older event. */
  readonly regressed: number;
  /** Processes that died or hung where they must not (or were left behind). */
  readonly crashed: number;
  /** Every expectation that did not hold, in words (empty: the scenario passed). */
  readonly failures: ReadonlyArray<string>;
}

/** What every scenario gets. */
export interface ScenarioContext {
  readonly root: string;
  readonly smoke: boolean;
  /** The stack's data root (`pnpm dev --data-dir`), shared by the scenarios in their order. */
  readonly dataRoot: string;
  readonly port: number;
  /** Where every line pnpm dev printed goes. */
  readonly logFile: string;
  readonly progress: (line: string) => void;
  /** The pnpm dev running now, if any; a scenario that restarts it replaces it. */
  dev?: DevProcess;
  /** Starts pnpm dev on the shared data directory (with `--faults --no-api-throttling`). */
  start(): DevProcess;
}

/** Collects a scenario's figures and failed expectations. */
export class Findings {
  readonly measured: Array<readonly [string, string | number]> = [];
  readonly failures: string[] = [];
  lost = 0;
  duplicated = 0;
  regressed = 0;
  crashed = 0;

  constructor(readonly name: string) {}

  add(label: string, value: string | number): void {
    this.measured.push([label, value]);
  }

  /** Records an expectation; a false one is a failure, in these words. */
  expect(holds: boolean, failure: string): void {
    if (!holds) this.failures.push(failure);
  }

  result(): ScenarioResult {
    return {
      name: this.name,
      measured: this.measured,
      lost: this.lost,
      duplicated: this.duplicated,
      regressed: this.regressed,
      crashed: this.crashed,
      failures: this.failures,
    };
  }
}
