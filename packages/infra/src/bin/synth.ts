// `pnpm synth`: writes cdktf.out/stacks/<stack>/cdk.tf.json for every stage (needs the functions built).
import { synthesize } from "../app.ts";

const started = performance.now();
try {
  const stacks = synthesize({ outdir: process.env.CDKTF_OUTDIR });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(`synthesized ${stacks.join(", ")} in ${seconds} s → cdktf.out/stacks/<stack>/cdk.tf.json`);
} catch (error) {
  console.error(`synth failed: ${(error as Error).message}`);
  process.exit(1);
}
