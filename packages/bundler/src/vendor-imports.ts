// What a hot build's own bundle imports from its vendor files: read by the bundler (to build the
// vendor entries) and by pnpm dev's runtime (what a spare environment imports ahead). No esbuild
// here: the runtime loads this module.

/** What the function's own code imports of one installed package. */
export type Imported = { names: Set<string>; everything: boolean };

/**
 * Reads the imports of installed packages from the function's own bundle, as esbuild prints them:
 * `import{A as b,C as d}from"./vendor/x.mjs"`, `import e from"…"`, `import*as f from"…"`,
 * `import"…"`, and `import("…")`.
 */
export function vendorImports(code: string): Map<string, Imported> {
  const found = new Map<string, Imported>();
  const entry = (spec: string) => {
    let e = found.get(spec);
    if (!e) {
      e = { names: new Set(), everything: false };
      found.set(spec, e);
    }
    return e;
  };
  const STATIC = /\bimport\s*([^"'`;()]*?)\s*(?:from\s*)?["'](\.\/vendor\/[^"']+)["']/g;
  for (const [, clause = "", spec = ""] of code.matchAll(STATIC)) {
    const e = entry(spec);
    const named = /\{([^}]*)\}/.exec(clause);
    for (const part of named?.[1]?.split(",") ?? []) {
      const name = part
        .trim()
        .split(/\s+as\s+/)[0]
        ?.trim();
      if (name) e.names.add(name);
    }
    const rest = clause.replace(/\{[^}]*\}/, "").trim();
    if (/\*\s*as\b/.test(rest)) e.everything = true;
    else if (rest.replace(/,/g, "").trim()) e.names.add("default");
  }
  for (const [, spec = ""] of code.matchAll(/\bimport\(\s*["'](\.\/vendor\/[^"']+)["']\s*\)/g))
    entry(spec).everything = true;
  return found;
}

/**
 * The vendor files a bundle imports statically, in the order its imports evaluate them
 * (`import…from"./vendor/x.mjs"` and `import"./vendor/x.mjs"`); dynamic `import()`s are left out,
 * as they load when the code reaches them.
 */
export function staticVendorImports(code: string): string[] {
  const found: string[] = [];
  for (const [, spec = ""] of code.matchAll(
    /\bimport\s*(?:[^"'`;()]*?\s*from\s*)?["'](\.\/vendor\/[^"']+)["']/g,
  ))
    if (!found.includes(spec)) found.push(spec);
  return found;
}
