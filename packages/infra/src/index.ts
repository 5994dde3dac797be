export type { SynthOptions } from "./app.ts";
export { synthesize } from "./app.ts";
export type { FunctionArtifact } from "./artifacts.ts";
export { FUNCTIONS_DIR, readArtifact } from "./artifacts.ts";
export type { BackendConfig } from "./backend.ts";
export { backendFromEnv } from "./backend.ts";
export type { FunctionName, StageConfig, StageName } from "./config/stages.ts";
export { FUNCTION_NAMES, STAGE_NAMES, STAGES } from "./config/stages.ts";
export { ACTION_EXCEPTIONS, actionsFor, METRIC_NAMESPACE, SERVICE_PREFIX } from "./iam-actions.ts";
export { Naming } from "./naming.ts";
export {
  PLUGIN_CACHE_ENV,
  pluginCacheDir,
  runTerraform,
  TERRAFORM_INSTALL_HINT,
  terraform,
  terraformEnv,
} from "./terraform/cli.ts";
export { findProviderMirror, MIRROR_ENV } from "./terraform/mirror.ts";
export type { SynthesizedStack } from "./terraform/stacks.ts";
export {
  awsProviderVersion,
  initStack,
  listStacks,
  planOffline,
  prepareWorkdir,
} from "./terraform/stacks.ts";
