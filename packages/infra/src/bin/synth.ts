// `pnpm synth`: writes cdktf.out/stacks/<stack>/cdk.tf.json for every stage (needs the functions built).
// `--stage <name>` (repeatable) synthesizes only those stages (pnpm dev's infra reload does).
import { parseArgs } from "node:util";
import { synthesize } from "../app.ts";
import { STAGE_NAMES, type StageName } from "../config/stages.ts";

const started = performance.now();
try {
  const { values } = parseArgs({ options: { stage: { type: "string", multiple: true } } });
  const unknown = (values.stage ?? []).filter((s) => !(STAGE_NAMES as ReadonlyArray<string>).includes(s));
  if (unknown.length > 0)
    throw new Error(`unknown stage ${unknown.join(", ")}; stages: ${STAGE_NAMES.join(", ")}`);
  const stages = values.stage as StageName[] | undefined;
  const stacks = synthesize({ outdir: process.env.CDKTF_OUTDIR, ...(stages ? { stages } : {}) });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(`synthesized ${stacks.join(", ")} in ${seconds} s → cdktf.out/stacks/<stack>/cdk.tf.json`);
} catch (error) {
  console.error(`synth failed: ${(error as Error).message}`);
  process.exit(1);
}
