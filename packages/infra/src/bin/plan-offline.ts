// `pnpm --filter @lambdaform/infra plan:offline`: a real terraform plan of every stack, no AWS account.
import { relative } from "node:path";
import { listStacks, planOffline } from "../terraform/stacks.ts";

const WORK = "cdktf.out/offline";
try {
  for (const stack of listStacks()) {
    process.stdout.write(`${stack.name}: terraform init + plan (offline) … `);
    const started = performance.now();
    const { planFile, jsonFile, plan } = await planOffline(stack, WORK);
    const changes = (plan.resource_changes as Array<{ change: { actions: string[] } }> | undefined) ?? [];
    const creates = changes.filter((c) => c.change.actions.includes("create")).length;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${creates} to add, ${seconds} s → ${relative(".", planFile)}, ${relative(".", jsonFile)}`);
  }
} catch (error) {
  console.error(`\nplan:offline failed: ${(error as Error).message}`);
  process.exit(1);
}
