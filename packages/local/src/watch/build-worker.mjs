// Builds function bundles for `pnpm dev`'s hot reload, off the main thread, so the gateway keeps
// answering meanwhile. Plain JavaScript that loads the bundler (TypeScript) through tsx, once; the
// worker stays warm between builds, and keeps each package's esbuild context (see hot-bundle.ts),
// so a save parses only what changed.
import { parentPort } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

const { hotBundle } = await tsImport("@lambdaform/bundler", import.meta.url);
/** One incremental bundle per package, made at its first build. */
const bundles = new Map();

parentPort.on("message", async ({ id, dir, outDir }) => {
  try {
    let bundle = bundles.get(dir);
    if (!bundle) {
      bundle = hotBundle(dir);
      bundles.set(dir, bundle);
    }
    await (await bundle).build(outDir);
    parentPort.postMessage({ id, built: true });
  } catch (error) {
    // A context that could not be made is made again at the next save.
    if (!(error?.errors?.length > 0)) bundles.delete(dir);
    const messages = (error?.errors ?? []).map((e) => ({
      text: e.text,
      file: e.location?.file,
      line: e.location?.line,
      column: e.location?.column,
      lineText: e.location?.lineText,
    }));
    parentPort.postMessage({ id, error: { message: String(error?.message ?? error), messages } });
  }
});
parentPort.postMessage({ ready: true });
