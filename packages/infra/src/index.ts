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
  awsProviderVersion,
  findProviderMirror,
  initStack,
  listStacks,
  MIRROR_ENV,
  PLUGIN_CACHE_ENV,
  planOffline,
  pluginCacheDir,
  prepareWorkdir,
  runTerraform,
  type SynthesizedStack,
  TERRAFORM_INSTALL_HINT,
  terraform,
  terraformEnv,
} from "./terraform/index.ts";
