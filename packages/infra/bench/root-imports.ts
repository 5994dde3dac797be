import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const DEEP_IMPORT = /^import \{([^}]+)\} from "@cdktf\/provider-aws\/lib\/([a-z0-9-]+)";$/gm;

const camel = (kebab: string) => kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Builds the baseline the synth bench compares against: a copy of the infra sources in which every
 * deep provider import (`@cdktf/provider-aws/lib/s3-bucket`) becomes an import from the package
 * root. Generated from the product code on each run, so it never drifts; it is a bench fixture only.
 */
export function writeRootImportVariant(srcDir: string, targetDir: string): void {
  rmSync(targetDir, { recursive: true, force: true });
  mkdirSync(targetDir, { recursive: true });
  cpSync(srcDir, targetDir, { recursive: true });
  const rewrite = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        rewrite(path);
        continue;
      }
      if (!path.endsWith(".ts")) continue;
      const source = readFileSync(path, "utf8");
      const rewritten = source.replace(DEEP_IMPORT, (_line, names: string, module: string) => {
        const namespace = camel(module);
        return `import { ${namespace} as __${namespace} } from "@cdktf/provider-aws";\nconst {${names}} = __${namespace};`;
      });
      writeFileSync(path, rewritten);
    }
  };
  rewrite(targetDir);
}
