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
    process.stdout.write(`${JSON.stringify(await client.trigger(rule), null, 2)}\n`);
    return 0;
  },
});
