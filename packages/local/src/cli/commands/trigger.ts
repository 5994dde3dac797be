import { ControlClient, devDataDir } from "../../dev/control.ts";
import { DATA_DIR_FLAG, STAGE_FLAG, stageName } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";
import { defaultDataDir } from "../paths.ts";

/** `lambdaform trigger`: fires an EventBridge rule of the running `pnpm dev` now. */
export const triggerCommand = defineCommand({
  name: "trigger",
  summary: "fire a schedule rule of the running local stack now",
  usage: "trigger <rule> [--stage dev]",
  options: { ...STAGE_FLAG, ...DATA_DIR_FLAG },
  async run({ values, positionals, root }) {
    const [rule] = positionals;
    if (!rule) throw new UsageError("trigger needs a rule name.");
    const stage = stageName(values.stage);
    const client = ControlClient.forDevDir(devDataDir(values["data-dir"] ?? defaultDataDir(root), stage));
    if (!client)
      throw new UsageError(`No local stack is running for stage ${stage}. Start it with \`pnpm dev\`.`);
    process.stdout.write(`${JSON.stringify(await client.trigger(rule), null, 2)}\n`);
    return 0;
  },
});
