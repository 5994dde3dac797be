import { DATA_DIR_FLAG, runningStack, STAGE_FLAG } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

/** `lambdaform trigger`: fires an EventBridge rule of the running `pnpm dev` now. */
export const triggerCommand = defineCommand({
  name: "trigger",
  summary: "fire a schedule rule of the running local stack now",
  usage: "trigger <rule> [--stage dev]",
  options: { ...STAGE_FLAG, ...DATA_DIR_FLAG },
  async run({ values, positionals, root }) {
    const [rule] = positionals;
    if (!rule) throw new UsageError("trigger needs a rule name.");
    const client = runningStack(root, values);
    if (!client)
      throw new UsageError(
        `No local stack is running for stage ${values.stage}. Start it with \`pnpm dev\`.`,
      );
    const result = await client.trigger(rule);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    const failed = result.results.filter((r) => r.status !== "succeeded");
    for (const target of failed)
      process.stderr.write(
        `lambdaform: ${target.functionName} ${target.status} after ${target.attempts} attempt(s); see \`pnpm logs ${target.functionName}\` and \`pnpm dlq\`\n`,
      );
    return failed.length > 0 ? 1 : 0;
  },
});
