// Builds function bundles for `pnpm dev`'s hot reload, off the main thread: tsup's tree-shaking
// pass is JavaScript and takes up to a couple of seconds for a function that bundles the AWS SDK,
// and the gateway must keep answering meanwhile. Plain JavaScript that loads the bundler (TypeScript)
// through tsx, once; the worker stays warm between builds.
import { parentPort } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

const { buildFunction } = await tsImport("@lambdaform/bundler", import.meta.url);

parentPort.on("message", async ({ id, dir, outDir }) => {
  try {
    await buildFunction(dir, outDir, { quiet: true, bundleOnly: true });
    parentPort.postMessage({ id, built: true });
  } catch (error) {
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
