export type { BundleManifest } from "./function-bundle.ts";
export {
  BUNDLE_FILE,
  buildFunction,
  esbuildSettings,
  functionBundle,
  MANIFEST_FILE,
  packageFunction,
  SOURCE_MAP_FILE,
  unlinkSourceMap,
  ZIP_FILE,
} from "./function-bundle.ts";
export type { HotBundle } from "./hot-bundle.ts";
export { hotBundle } from "./hot-bundle.ts";
export type { ZipEntry } from "./zip.ts";
export { base64Sha256, deterministicZip } from "./zip.ts";
