// Builds the console into dist/: index.html, app.js and app.css (uPlot's styles with ours), one
// minified bundle each, the same bytes for the same sources. pnpm dev reads them into memory.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
await build({
  entryPoints: { app: "src/main.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  splitting: true,
  chunkNames: "chunk-[hash]",
  target: "es2022",
  outdir: "dist",
  legalComments: "eof",
  logLevel: "warning",
});
copyFileSync("src/index.html", "dist/index.html");
