// `pnpm --filter @lambdaform/infra validate`: terraform init + validate of every synthesized stack.
import { listStacks, validateStack } from "../terraform/stacks.ts";

const WORK = "cdktf.out/work";
let failed = false;
try {
  for (const stack of listStacks()) {
    process.stdout.write(`${stack.name}: terraform init + validate … `);
    const { report, mirror } = await validateStack(stack, WORK);
    const source = mirror ? `provider from mirror ${mirror}` : "provider from the registry";
    if (report.valid) {
      console.log(`valid (${report.warning_count} warnings; ${source})`);
    } else {
      failed = true;
      console.log("INVALID");
      for (const d of report.diagnostics)
        console.log(`  ${d.severity}: ${d.summary}${d.detail ? ` — ${d.detail}` : ""}`);
    }
  }
} catch (error) {
  console.error(`\nvalidate failed: ${(error as Error).message}`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);
