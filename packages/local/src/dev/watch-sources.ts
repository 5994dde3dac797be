import { join } from "node:path";
import { readStack, type StackSpec } from "../stack/read-stack.ts";
import type { FunctionBuilder } from "../watch/builder.ts";
import { FunctionWatcher } from "../watch/functions.ts";
import { InfraWatcher, infraSynth } from "../watch/infra.ts";
import { functionPackages, packagesOfStack } from "../watch/packages.ts";
import type { ApplyResult } from "./deploy.ts";
import type { Deployments } from "./deployments.ts";
import type { DevOptions, DevStack } from "./dev.ts";

/**
 * Starts hot reload: function sources (a save swaps the function's code) and, unless turned off,
 * the infra sources (a save re-synthesizes and applies). Returns what stops them.
 */
export async function watchSources(
  root: string,
  stage: string,
  watch: NonNullable<DevOptions["watch"]>,
  stack: StackSpec,
  dataDir: string,
  deployments: Deployments,
  redeploy: DevStack["redeploy"],
  progress: (line: string) => void,
  /** Builds the functions' hot bundles (made, and warmed, at the start of pnpm dev). */
  builder: FunctionBuilder,
  /** The warm-up builds, by package (see FunctionBuilder.prepare). */
  warmed?: Promise<ReadonlyMap<string, string>>,
  /** The infra synth's nice value (see DevOptions.backgroundNiceness). */
  niceness?: number,
): Promise<Array<() => Promise<void> | void>> {
  const byPackage = new Map<string, string[]>();
  const builtBy =
    watch.packages ??
    new Map([...packagesOfStack(stack, functionPackages(root))].map(([fn, p]) => [fn, p.dir]));
  for (const [fn, dir] of builtBy) byPackage.set(dir, [...(byPackage.get(dir) ?? []), fn]);
  for (const fn of stack.functions)
    if (!builtBy.has(fn.name) && !watch.packages)
      progress(
        `hot reload is off for ${fn.shortName}: no package under packages/functions built its zip (run \`pnpm build\`)`,
      );
  const functions = new FunctionWatcher({
    root,
    packages: byPackage,
    shared: watch.shared ?? [join(root, "packages", "shared", "src")],
    buildDir: join(dataDir, "hot"),
    builder,
    reload: (fn, taskRoot) => deployments.reload(fn, taskRoot),
    ...(warmed ? { warmed, prepared: (fn, taskRoot) => deployments.prepareSpare(fn, taskRoot) } : {}),
    label: (fn) => stack.functions.find((f) => f.name === fn)?.shortName ?? fn,
    log: progress,
  });
  functions.start();
  const stops: Array<() => Promise<void> | void> = [() => functions.close()];
  if (watch.infra !== false) {
    const infra = new InfraWatcher({
      dir: watch.infra?.dir ?? join(root, "packages", "infra", "src"),
      synth: watch.infra?.synth ?? infraSynth(root, stage, join(dataDir, "synth"), niceness),
      apply: async (stackDir) => {
        // The user's own edit is applied as it is: moto's resources are not read back first.
        const result = await redeploy(stackDir, { refresh: false });
        return describeApply(result, readStack(stackDir));
      },
      log: progress,
    });
    infra.start();
    stops.push(() => infra.close());
  }
  return stops;
}

/** One line for what an apply did. */
export function applySummary(apply: ApplyResult): string {
  if (apply.skipped) return "unchanged since the last apply (stack and state): terraform apply skipped";
  const { add, change, destroy, imported } = apply.changes;
  const adopted = imported ? ` (and ${imported} created first, then imported)` : "";
  return `${add} added, ${change} changed, ${destroy} destroyed${adopted}`;
}

/** The summary and, for each resource changed, its action and its construct path (`update hello-api/function`). */
export function describeApply(apply: ApplyResult, stack: StackSpec): string {
  const resources = (stack.json.resource ?? {}) as Record<
    string,
    Record<string, { "//"?: { metadata?: { path?: string } } }>
  >;
  const pathOf = (address: string) => {
    const [type = "", id = ""] = address.split(".");
    const path = resources[type]?.[id]?.["//"]?.metadata?.path;
    return path ? path.split("/").slice(1).join("/") : address;
  };
  const changes = apply.planned.map((p) => `${p.action} ${pathOf(p.address)}`);
  return changes.length > 0 ? `${applySummary(apply)} (${changes.join(", ")})` : applySummary(apply);
}
