export type { BundleManifest } from "./function-bundle.ts";
export {
  BUNDLE_FILE,
  buildFunction,
  functionBundle,
  MANIFEST_FILE,
  packageFunction,
  SOURCE_MAP_FILE,
  unlinkSourceMap,
  ZIP_FILE,
} from "./function-bundle.ts";
export type { ZipEntry } from "./zip.ts";
export { base64Sha256, deterministicZip } from "./zip.ts";
