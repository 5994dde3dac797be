// esbuild plugins of the function bundle: what they take out or change is measured by
// `pnpm bench --only init` (a fresh process importing the bundle, and a CPU profile of the import).
import { readFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { dirname } from "node:path";
import type { Options } from "tsup";

type Plugin = NonNullable<Options["esbuildPlugins"]>[number];

/** The module bundled in place of @aws-sdk/credential-provider-node. */
export const ENV_CREDENTIALS_MODULE = new URL("./env-credentials.ts", import.meta.url).pathname;

/**
 * Bundles {@link ENV_CREDENTIALS_MODULE} in place of `@aws-sdk/credential-provider-node`, the SDK's
 * default credential chain: every client's runtime config imports it, and with it come the SSO, ini,
 * process, web-identity, container and instance-metadata providers and the STS, SSO and sign-in
 * clients they call. A Lambda function gets its credentials in the environment, and that is all the
 * replacement reads. Safety trade-off: a bundle never falls back to a profile, ~/.aws or instance
 * metadata (code run from source, in tests, still has the whole chain).
 */
export function envCredentialsPlugin(): Plugin {
  return {
    name: "lambdaform-env-credentials",
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
        path: ENV_CREDENTIALS_MODULE,
      }));
    },
  };
}

const BUILTINS = new Set(builtinModules);
const DYNAMIC_IMPORT = /\bimport\((["'])([^"'\s]+)\1\)/g;
const ESM_SYNTAX = /^\s*(?:import|export)\s/m;

/**
 * Turns `import("pkg")` in dependencies into a static import of the same module. The bundle is one
 * file holding every module either way; a dynamic import only defers evaluating it, and for that
 * esbuild wraps the module and everything it imports in lazy initializers (`__esm`), whose bodies V8
 * then compiles a second time when they run, at init. In the AWS SDK, one `import()` of its event-stream
 * code (in every client's HTTP protocol) had nearly all of @smithy/core wrapped so. Node built-ins
 * (external, never wrapped) keep their dynamic imports.
 */
export function eagerDynamicImportsPlugin(): Plugin {
  // What each installed file becomes, kept for the plugin's life: pnpm dev's hot reload builds
  // again with the same plugin at every save, and reading every file of the AWS SDK again was
  // 40% of a rebuild. (Installed files do not change under a running build.)
  const loaded = new Map<
    string,
    Promise<{ contents: string; loader: "js"; resolveDir: string } | undefined>
  >();
  return {
    name: "lambdaform-eager-dynamic-imports",
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.m?js$/ }, (args) => {
        let result = loaded.get(args.path);
        if (!result) {
          result = eagerLoad(args.path);
          loaded.set(args.path, result);
        }
        return result;
      });
    },
  };
}

/** An installed file with its `import()`s of packages made static, or undefined when it has none. */
async function eagerLoad(
  path: string,
): Promise<{ contents: string; loader: "js"; resolveDir: string } | undefined> {
  const source = await readFile(path, "utf8");
  if (!source.includes("import(") || !ESM_SYNTAX.test(source)) return undefined;
  const specifiers: string[] = [];
  const contents = source.replace(DYNAMIC_IMPORT, (call, _quote, specifier: string) => {
    if (specifier.startsWith("node:") || BUILTINS.has(specifier)) return call;
    if (!specifiers.includes(specifier)) specifiers.push(specifier);
    return `Promise.resolve(__lfEager${specifiers.indexOf(specifier)})`;
  });
  if (specifiers.length === 0) return undefined;
  const imports = specifiers.map((s, i) => `import * as __lfEager${i} from ${JSON.stringify(s)};`).join("");
  // One line, so the source map's line numbers below it stay as they were.
  return { contents: `${imports}${contents}`, loader: "js", resolveDir: dirname(path) };
}

/**
 * Loads the Node built-ins that bundled code imports statically through `require()` (the bundle's
 * banner defines it) instead of ESM imports. Node's ESM loader gives each imported built-in a facade
 * that copies every export once, so `import { env } from "node:process"` reads every getter of
 * `process`: it opens stdout, stderr and stdin as streams and builds `allowedNodeEnvironmentFlags`,
 * all at init. Here each built-in is a small ES module that re-exports the names Node has for it,
 * each read from the `require()`d module by a pure call, so tree-shaking keeps only the names the
 * bundle uses and nothing else is read (a CommonJS shim would copy every property at init instead).
 * The tsup option `removeNodeProtocol: false` lets `node:` imports reach this plugin.
 */
export function builtinsByRequirePlugin(): Plugin {
  const namespace = "lambdaform-builtin";
  const require = createRequire(import.meta.url);
  return {
    name: "lambdaform-builtins-by-require",
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
        const id = args.path.replace(/^node:/, "");
        if (args.kind !== "import-statement" || !BUILTINS.has(id)) return undefined;
        return { path: id, namespace };
      });
      build.onLoad({ filter: /.*/, namespace }, (args) => {
        const names = Object.keys(require(`node:${args.path}`) as object)
          .filter((name) => name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name))
          .sort();
        const contents = [
          `const __lfModule = require(${JSON.stringify(`node:${args.path}`)});`,
          "const __lfGet = (name) => __lfModule[name];",
          "export default __lfModule;",
          ...names.map((name) => `export const ${name} = /* @__PURE__ */ __lfGet(${JSON.stringify(name)});`),
        ].join("\n");
        return { contents, loader: "js" };
      });
    },
  };
}
