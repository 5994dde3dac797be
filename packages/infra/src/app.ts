import { readArtifact } from "./artifacts.ts";
import { type BackendConfig, backendFromEnv } from "./backend.ts";
import { App } from "./cdktf.ts";
import { STAGE_NAMES, STAGES, type StageName } from "./config/stages.ts";
import { LambdaformStack } from "./stack.ts";

export interface SynthOptions {
  /** Where cdktf writes `stacks/<stack>/cdk.tf.json` (default `cdktf.out`). */
  readonly outdir?: string;
  readonly stages?: ReadonlyArray<StageName>;
  readonly backend?: BackendConfig;
  /** Where the functions' packages are (default: this checkout's packages/functions/). */
  readonly functionsDir?: URL;
}

/** Synthesizes one stack per stage and returns the stack names. */
export function synthesize(options: SynthOptions = {}): string[] {
  // skipValidation: constructs validate nothing we rely on; cdktf's own check only slows synth down.
  const app = new App({ outdir: options.outdir ?? "cdktf.out", skipValidation: true });
  const backend = options.backend ?? backendFromEnv(process.env);
  const stacks = (options.stages ?? STAGE_NAMES).map(
    (stage) =>
      new LambdaformStack(app, {
        config: STAGES[stage],
        backend,
        artifact: (name) => readArtifact(name, options.functionsDir),
      }),
  );
  app.synth();
  return stacks.map((stack) => stack.node.id);
}
