// The terraform CLI, the provider mirror and synthesized stacks on disk, without CDKTF: what the
// local stack and the review need at run time loads none of the synth's modules (about 0.9 s).
export {
  lowerPriority,
  PLUGIN_CACHE_ENV,
  pluginCacheDir,
  runTerraform,
  TERRAFORM_INSTALL_HINT,
  terraform,
  terraformEnv,
} from "./cli.ts";
export { findProviderMirror, MIRROR_ENV } from "./mirror.ts";
export type { SynthesizedStack } from "./stacks.ts";
export { awsProviderVersion, initStack, listStacks, planOffline, prepareWorkdir } from "./stacks.ts";
