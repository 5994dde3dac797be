import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import {
  type Architecture,
  CostInputError,
  dollars,
  functionCost,
  PRICES,
  parseTraffic,
  type Traffic,
} from "@lambdaform/cost";

/** A synthesized stack, as parsed from its `cdk.tf.json`. */
export type StackJson = Record<string, unknown>;

/** The committed traffic profile, relative to the repository root (what `pnpm cost` prices by default). */
export const DEFAULT_TRAFFIC_FILE = "packages/cost/traffic.json";

/** A function's value before and after the change; `undefined` on the side where it does not exist. */
export interface BeforeAfter<T> {
  readonly before: T | undefined;
  readonly after: T | undefined;
}

/** One function's monthly cost before and after a change, under the same traffic. */
export interface FunctionCostDelta {
  /** The short name (`hello-api`), the key of the traffic profile. */
  readonly name: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly memoryMb: BeforeAfter<number>;
  readonly architecture: BeforeAfter<Architecture>;
  /** Monthly dollars (requests and compute, no free tier); `undefined` where it does not exist or is not priced. */
  readonly cost: BeforeAfter<number>;
  /** after − before (a new function counts from 0, a removed one to 0); `undefined` when not priced. */
  readonly delta: number | undefined;
  /** Why the function could not be priced (no traffic for it, a memory size only known after apply). */
  readonly unpriced?: string;
}

/** The monthly Lambda cost of a change: per function, the total, and which functions came and went. */
export interface CostDelta {
  /** Sorted by short name. */
  readonly functions: ReadonlyArray<FunctionCostDelta>;
  /** Totals over the priced functions. */
  readonly before: number;
  readonly after: number;
  readonly delta: number;
  readonly added: ReadonlyArray<string>;
  readonly removed: ReadonlyArray<string>;
  /** Where the traffic came from (a path), for the comment. */
  readonly trafficSource: string;
}

interface DeployedFunction {
  readonly name: string;
  readonly memoryMb: number | undefined;
  readonly architecture: Architecture;
}

/** The `lambdaform-<stage>-` prefix of the stack's function names, from the stack's metadata or default tags. */
function namePrefix(stack: StackJson): string | undefined {
  const metadata = (stack["//"] as { metadata?: { stackName?: unknown } } | undefined)?.metadata;
  if (typeof metadata?.stackName === "string") return `${metadata.stackName}-`;
  const aws = (
    stack.provider as { aws?: Array<{ default_tags?: Array<{ tags?: Record<string, unknown> }> }> }
  )?.aws;
  const stage = aws?.[0]?.default_tags?.[0]?.tags?.stage;
  return typeof stage === "string" ? `lambdaform-${stage}-` : undefined;
}

function deployedFunctions(stack: StackJson | undefined, label: string): Map<string, DeployedFunction> {
  const out = new Map<string, DeployedFunction>();
  if (!stack) return out;
  const prefix = namePrefix(stack);
  const resources = (stack.resource as Record<string, Record<string, Record<string, unknown>>> | undefined)
    ?.aws_lambda_function;
  for (const [id, fn] of Object.entries(resources ?? {})) {
    const functionName = typeof fn.function_name === "string" ? fn.function_name : id;
    const name =
      prefix && functionName.startsWith(prefix)
        ? functionName.slice(prefix.length)
        : functionName.replace(/^lambdaform-[a-z][a-z0-9]*-/, "");
    const memory = fn.memory_size ?? 128; // Lambda's default
    const architecture = (fn.architectures as unknown[] | undefined)?.[0] ?? "x86_64";
    if (architecture !== "x86_64" && architecture !== "arm64")
      throw new CostInputError(
        `${label}: ${name} has architecture ${JSON.stringify(architecture)}; the cost model knows x86_64 and arm64.`,
      );
    out.set(name, { name, memoryMb: typeof memory === "number" ? memory : undefined, architecture });
  }
  return out;
}

/**
 * Prices every `aws_lambda_function` of the base and head stacks with the cost package's model over
 * one traffic profile, and compares them function by function (by short name). No base means every
 * function is new. The same traffic is priced on both sides: only memory and architecture change.
 *
 * @throws {CostInputError} when the traffic holds a value the cost model refuses (named by function and field).
 */
export function costDelta(
  base: StackJson | undefined,
  head: StackJson,
  traffic: Traffic,
  trafficSource: string,
): CostDelta {
  const before = deployedFunctions(base, "base");
  const after = deployedFunctions(head, "head");
  const fullNames = (stack: StackJson | undefined, name: string) => {
    const prefix = stack ? namePrefix(stack) : undefined;
    return prefix ? `${prefix}${name}` : name;
  };
  const functions = [...new Set([...before.keys(), ...after.keys()])]
    .sort()
    .map((name): FunctionCostDelta => {
      const b = before.get(name);
      const a = after.get(name);
      const own = traffic[name] ?? traffic[fullNames(head, name)] ?? traffic[fullNames(base, name)];
      const missing = (["invocations", "durationMs"] as const).filter((field) => own?.[field] === undefined);
      for (const field of ["invocations", "durationMs"] as const) {
        const value = own?.[field];
        if (value !== undefined && !(Number.isFinite(value) && value >= 0))
          throw new CostInputError(`${trafficSource}: ${name}.${field} must be a number ≥ 0, got ${value}.`);
      }
      const status =
        b && a
          ? b.memoryMb === a.memoryMb && b.architecture === a.architecture
            ? "unchanged"
            : "changed"
          : a
            ? "added"
            : "removed";
      const unpriced =
        missing.length > 0
          ? `no ${missing.join(" or ")} for ${name} in ${trafficSource}`
          : [b, a].some((f) => f && f.memoryMb === undefined)
            ? `memory_size of ${name} is not a literal number`
            : undefined;
      const price = (f: DeployedFunction | undefined, side: string) => {
        if (!f || unpriced) return undefined;
        try {
          return functionCost({
            name,
            memoryMb: f.memoryMb ?? 0,
            architecture: f.architecture,
            invocations: own?.invocations ?? 0,
            durationMs: own?.durationMs ?? 0,
          }).total;
        } catch (error) {
          // The traffic is checked above, so what the model refuses here is the stack's (memory_size).
          if (error instanceof CostInputError) throw new CostInputError(`${side}: ${error.message}`);
          throw error;
        }
      };
      const cost = { before: price(b, "base"), after: price(a, "head") };
      return {
        name,
        status,
        memoryMb: { before: b?.memoryMb, after: a?.memoryMb },
        architecture: { before: b?.architecture, after: a?.architecture },
        cost,
        delta: unpriced ? (status === "unchanged" ? 0 : undefined) : (cost.after ?? 0) - (cost.before ?? 0),
        ...(unpriced ? { unpriced } : {}),
      };
    });
  const sum = (values: Array<number | undefined>) => values.reduce<number>((s, v) => s + (v ?? 0), 0);
  return {
    functions,
    before: sum(functions.map((f) => f.cost.before)),
    after: sum(functions.map((f) => f.cost.after)),
    delta: sum(functions.map((f) => f.delta)),
    added: functions.filter((f) => f.status === "added").map((f) => f.name),
    removed: functions.filter((f) => f.status === "removed").map((f) => f.name),
    trafficSource,
  };
}

/** Reads a traffic profile: `file` (relative to `root`) or the committed one, with the path to cite. */
export function readTraffic(root: string, file?: string): { traffic: Traffic; source: string } {
  const source = file ?? DEFAULT_TRAFFIC_FILE;
  let text: string;
  try {
    text = readFileSync(isAbsolute(source) ? source : join(root, source), "utf8");
  } catch (error) {
    throw new CostInputError(`Cannot read the traffic file ${source}: ${(error as Error).message}`);
  }
  return { traffic: parseTraffic(text, source), source };
}

/** A delta with its sign (`+$0.17`, `−$0.17`), or `$0.00` when it rounds to no cents. */
const signed = (amount: number) => {
  const size = dollars(Math.abs(amount));
  return size === dollars(0) ? size : `${amount > 0 ? "+" : "−"}${size}`;
};
const money = (amount: number | undefined) => (amount === undefined ? "—" : dollars(amount));
const signedOrDash = (amount: number | undefined) => (amount === undefined ? "—" : signed(amount));
/** `128 MB`, `256 → 512 MB`, `— → 128 MB` (added), `x86_64 → arm64`. */
const change = <T>(value: BeforeAfter<T>, unit = "") => {
  const { before, after } = value;
  if (before === after) return `${String(after ?? "—")}${unit}`;
  if (before === undefined || after === undefined)
    return `${before === undefined ? "—" : `${String(before)}${unit}`} → ${after === undefined ? "—" : `${String(after)}${unit}`}`;
  return `${String(before)} → ${String(after)}${unit}`;
};

/**
 * The cost section of a review comment (Markdown lines): a row per function, the total, which
 * functions came and went, and the traffic profile priced (and how to change it). When no
 * function's cost changes it says "no cost change" instead of the table.
 */
export function renderCostSection(delta: CostDelta): string[] {
  const lines = ["#### Cost (monthly, Lambda requests and compute)", ""];
  if (delta.functions.every((f) => f.delta === 0)) {
    const count = delta.functions.length;
    lines.push(
      `No cost change (${count} function${count === 1 ? "" : "s"}, ${dollars(delta.after)} a month before and after).`,
    );
  } else {
    lines.push(
      "| function | memory | architecture | before | after | delta |",
      "| --- | ---: | --- | ---: | ---: | ---: |",
      ...delta.functions.map(
        (f) =>
          `| ${f.name}${f.status === "added" || f.status === "removed" ? ` (${f.status})` : ""} | ${change(f.memoryMb, " MB")} | ${change(f.architecture)} | ${money(f.cost.before)} | ${money(f.cost.after)} | ${signedOrDash(f.delta)} |`,
      ),
      `| **total** | | | ${dollars(delta.before)} | ${dollars(delta.after)} | **${signed(delta.delta)}** |`,
    );
    if (delta.added.length > 0 || delta.removed.length > 0)
      lines.push(
        "",
        [
          delta.added.length > 0 ? `Added: ${delta.added.map((n) => `\`${n}\``).join(", ")}.` : "",
          delta.removed.length > 0 ? `Removed: ${delta.removed.map((n) => `\`${n}\``).join(", ")}.` : "",
        ]
          .filter(Boolean)
          .join(" "),
      );
  }
  const unpriced = delta.functions.flatMap((f) => (f.unpriced ? [f.unpriced] : []));
  if (unpriced.length > 0) lines.push("", `Not priced (left out of the totals): ${unpriced.join("; ")}.`);
  lines.push(
    "",
    `Traffic profile: \`${delta.trafficSource}\` (invocations and average duration per function, the same before and after; ${PRICES.region} on-demand prices taken ${PRICES.taken}, no free tier). To change it, edit \`${DEFAULT_TRAFFIC_FILE}\` or pass \`--traffic <file>\` to \`pnpm review\`.`,
  );
  return lines;
}
