/** When a schedule expression fires next, after `from`. */
export type NextFire = (from: Date) => Date;

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

function field(spec: string, min: number, max: number): Set<number> | "any" {
  if (spec === "*" || spec === "?") return "any";
  const values = new Set<number>();
  for (const part of spec.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText ? Number(stepText) : 1;
    const [lo, hi] =
      range === "*"
        ? [min, max]
        : range.includes("-")
          ? range.split("-").map(Number)
          : [Number(range), stepText ? max : Number(range)];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || !Number.isInteger(step) || step < 1)
      throw new Error(`unsupported cron field "${spec}"`);
    for (let v = lo as number; v <= (hi as number); v += step) values.add(v);
  }
  return values;
}

/**
 * Parses an EventBridge schedule expression: `rate(N minutes|hours|days)`, or
 * `cron(minutes hours day-of-month month day-of-week year)` in UTC with numbers, `*`, `?`, lists,
 * ranges and steps (named days and months, L, W and # are not supported and say so).
 */
export function parseSchedule(expression: string): NextFire {
  const rate = /^rate\((\d+)\s+(minutes?|hours?|days?)\)$/.exec(expression.trim());
  if (rate) {
    const every = Number(rate[1]) * (UNIT_MS[rate[2] ?? ""] ?? 0);
    if (every <= 0) throw new Error(`bad rate in "${expression}"`);
    return (from) => new Date(from.getTime() + every);
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) throw new Error(`not a schedule expression: "${expression}" (expected rate(...) or cron(...))`);
  const parts = (cron[1] ?? "").trim().split(/\s+/);
  if (parts.length !== 6)
    throw new Error(
      `cron needs 6 fields (minutes hours day-of-month month day-of-week year): "${expression}"`,
    );
  if (parts.some((p) => /[A-Za-z#]/.test(p)))
    throw new Error(`cron names, L, W and # are not supported locally: "${expression}"`);
  const [minutes, hours, dom, month, dow, year] = [
    field(parts[0] ?? "*", 0, 59),
    field(parts[1] ?? "*", 0, 23),
    field(parts[2] ?? "*", 1, 31),
    field(parts[3] ?? "*", 1, 12),
    field(parts[4] ?? "*", 1, 7),
    field(parts[5] ?? "*", 1970, 2199),
  ];
  const ok = (set: Set<number> | "any", v: number) => set === "any" || set.has(v);
  return (from) => {
    const t = new Date(from.getTime());
    t.setUTCSeconds(0, 0);
    for (let i = 0; i < 366 * 24 * 60; i++) {
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      if (
        ok(minutes, t.getUTCMinutes()) &&
        ok(hours, t.getUTCHours()) &&
        ok(dom, t.getUTCDate()) &&
        ok(month, t.getUTCMonth() + 1) &&
        ok(dow, t.getUTCDay() + 1) &&
        ok(year, t.getUTCFullYear())
      ) {
        return new Date(t.getTime());
      }
    }
    throw new Error(`"${expression}" does not fire within a year`);
  };
}

/** A rule to fire at its schedule. */
export interface ScheduledRule {
  readonly name: string;
  readonly expression: string;
  readonly fire: () => void;
}

/** Fires each rule at its schedule until stopped. */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly nextFires = new Map<string, Date>();
  private stopped = false;

  /** When each armed rule fires next (a rule whose expression cannot run here has none). */
  next(name: string): Date | undefined {
    return this.nextFires.get(name);
  }

  /** Fires these rules from now on, in place of any scheduled before (after a redeploy). */
  replace(rules: ReadonlyArray<ScheduledRule>, onError: (message: string) => void): void {
    this.stop();
    this.stopped = false;
    for (const rule of rules) this.schedule(rule.name, rule.expression, rule.fire, onError);
  }

  schedule(name: string, expression: string, fire: () => void, onError: (message: string) => void): void {
    let next: NextFire;
    try {
      next = parseSchedule(expression);
    } catch (error) {
      onError(
        `rule ${name} will not fire on its own: ${(error as Error).message}. Fire it with \`pnpm trigger ${name}\`.`,
      );
      return;
    }
    const arm = (from: Date) => {
      if (this.stopped) return;
      const at = next(from);
      this.nextFires.set(name, at);
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          fire();
          arm(at);
        },
        Math.max(0, at.getTime() - Date.now()),
      );
      timer.unref();
      this.timers.add(timer);
    };
    arm(new Date());
  }

  stop(): void {
    this.stopped = true;
    this.nextFires.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
