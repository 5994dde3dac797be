/**
 * The console's front end (packages/console, built by `pnpm build` into its dist/), read once into
 * memory and served from there: no file is read per request, and nothing comes from the network.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import type { Reply } from "../http/reply.ts";

/**
 * Headers of everything the console serves: its own scripts and styles only, never in a frame (a
 * page elsewhere cannot overlay it to steal clicks), no referrer, no sniffing, no caching.
 */
export const CONSOLE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cache-control": "no-store",
} as const;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The console's built directory, or undefined when `@lambdaform/console` is not built. */
export function consoleDist(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve("@lambdaform/console/package.json");
    const dist = join(dirname(pkg), "dist");
    return existsSync(join(dist, "index.html")) ? dist : undefined;
  } catch {
    return undefined;
  }
}

/** The built front end, by path under `/_lambdaform/` ("" is the page itself). */
export class ConsoleAssets {
  private readonly files = new Map<string, Reply>();

  constructor(private readonly dist = consoleDist()) {
    this.load();
  }

  private load(): void {
    const dist = this.dist ?? consoleDist();
    if (!dist) return;
    for (const name of readdirSync(dist)) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      const reply: Reply = {
        status: 200,
        headers: { ...CONSOLE_HEADERS, "content-type": type },
        body: readFileSync(join(dist, name)),
      };
      this.files.set(name === "index.html" ? "" : `assets/${name}`, reply);
    }
  }

  get built(): boolean {
    return this.files.has("");
  }

  /** The asset at `path`, or undefined. The page answers 503 naming the build when it is not built. */
  get(path: string): Reply | undefined {
    // Built since the start (`pnpm build` in another terminal): read it now.
    if (!this.built) this.load();
    const file = this.files.get(path);
    if (file || path !== "") return file;
    return {
      status: 503,
      headers: { ...CONSOLE_HEADERS, "content-type": "text/plain; charset=utf-8" },
      body: "The console is not built: run `pnpm build` (pnpm dev builds it unless --no-build), then reload this page.\n",
    };
  }
}
