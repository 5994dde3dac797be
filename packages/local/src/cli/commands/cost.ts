import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findFunction } from "../../stack/read-stack.ts";
import { loadStack, nonNegative, numberList, oneOf, STACK_DIR_FLAG, STAGE_FLAG } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

/** The committed traffic profile (repository-relative): priced where neither --traffic nor a flag says. */
const DEFAULT_TRAFFIC_FILE = "packages/cost/traffic.json";

/** `lambdaform cost`: the tutorial's pricing model over what the stack deploys. */
export const costCommand = defineCommand({
  name: "cost",
  summary: "monthly Lambda cost of the stack's functions (the tutorial's pricing model)",
  usage: `cost [--stage dev] [--invocations N] [--duration-ms D] [--traffic <file.json>]
         [--from-reports <log file> --function F] [--free-tier] [--architecture x86_64|arm64]
         [--compare-memory 128,256,512,1024 [--durations 800,400,210,110] --function F]`,
  options: {
    ...STAGE_FLAG,
    ...STACK_DIR_FLAG,
    invocations: { type: "string" },
    "duration-ms": { type: "string" },
    traffic: { type: "string" },
    "from-reports": { type: "string" },
    function: { type: "string" },
    "free-tier": { type: "boolean", default: false },
    architecture: { type: "string" },
    "compare-memory": { type: "string" },
    durations: { type: "string" },
  },
  async run({ values, root }) {
    const cost = await import("@lambdaform/cost");
    const stack = loadStack(root, values);
    const override = values.architecture
      ? oneOf(values.architecture, "--architecture", ["x86_64", "arm64"])
      : undefined;
    const arch = (a: string) => (override ?? a) as "x86_64" | "arm64";
    const invocations = nonNegative(values.invocations, "--invocations");
    const durationMs = nonNegative(values["duration-ms"], "--duration-ms");
    const only = values.function === undefined ? undefined : findFunction(stack, values.function);
    try {
      // The committed traffic profile supplies what neither --traffic nor a flag gives.
      const profile = cost.parseTraffic(
        readTrafficFile(join(root, DEFAULT_TRAFFIC_FILE)),
        DEFAULT_TRAFFIC_FILE,
      );
      const fallback = (fn: { name: string; shortName: string }, field: "invocations" | "durationMs") => {
        const value = (profile[fn.shortName] ?? profile[fn.name])?.[field];
        if (value === undefined)
          throw new UsageError(
            `${DEFAULT_TRAFFIC_FILE} has no ${field} for ${fn.shortName}: add it there, or pass --traffic <file> or --${field === "durationMs" ? "duration-ms" : field}.`,
          );
        return value;
      };
      if (values["compare-memory"]) {
        if (!only) throw new UsageError("--compare-memory needs --function <name>.");
        const rows = cost.compareMemory(
          {
            name: only.shortName,
            architecture: arch(only.architecture),
            invocations: invocations ?? fallback(only, "invocations"),
          },
          numberList(values["compare-memory"], "--compare-memory"),
          values.durations
            ? numberList(values.durations, "--durations")
            : [durationMs ?? fallback(only, "durationMs")],
        );
        process.stdout.write(`${cost.memoryComparisonTable(rows)}`);
        return 0;
      }
      const traffic = values.traffic
        ? cost.parseTraffic(readTrafficFile(values.traffic), values.traffic)
        : {};
      for (const name of Object.keys(traffic)) findFunction(stack, name);
      let measured: number | undefined;
      if (values["from-reports"]) {
        if (!only)
          throw new UsageError(
            "--from-reports needs --function <name> (REPORT lines do not name their function).",
          );
        measured = cost.averageReportedDuration(
          readFileSync(values["from-reports"], "utf8"),
          values["from-reports"],
        );
      }
      const usages = stack.functions
        .filter((fn) => !only || fn === only)
        .map((fn) => {
          const own = traffic[fn.shortName] ?? traffic[fn.name] ?? {};
          return {
            name: fn.shortName,
            memoryMb: fn.memoryMb,
            architecture: arch(fn.architecture),
            invocations: own.invocations ?? invocations ?? fallback(fn, "invocations"),
            durationMs: measured ?? own.durationMs ?? durationMs ?? fallback(fn, "durationMs"),
          };
        });
      const freeTier = values["free-tier"];
      process.stdout.write(
        `${cost.costTable(stack.name, cost.monthlyCost(usages, { freeTier }), { freeTier })}`,
      );
      return 0;
    } catch (error) {
      if (error instanceof cost.CostInputError) throw new UsageError(error.message);
      throw error;
    }
  },
});

function readTrafficFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read the traffic file ${path}: ${(error as Error).message}`);
  }
}
