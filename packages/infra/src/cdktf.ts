// The one module that imports the CDKTF core and constructs. Switching to the community fork
// (cdktn) is a rename here; constructs import everything they need of the core from this file.
export {
  App,
  AssetType,
  Fn,
  LocalBackend,
  S3Backend,
  TerraformAsset,
  TerraformOutput,
  TerraformStack,
  Token,
} from "cdktf";
export { Construct } from "constructs";
