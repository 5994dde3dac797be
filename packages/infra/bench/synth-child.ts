// One synth of both stages in a fresh process, as `pnpm synth` does; prints its own peak RSS.
// argv: <app module URL> <outdir> <functions dir URL>
export {};

const [appModule, outdir, functionsDir] = process.argv.slice(2);
if (!appModule || !outdir || !functionsDir)
  throw new Error("usage: synth-child <app module> <outdir> <functions dir>");
const { synthesize } = (await import(appModule)) as typeof import("../src/app.ts");
synthesize({ outdir, backend: { kind: "local" }, functionsDir: new URL(functionsDir) });
process.stdout.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
