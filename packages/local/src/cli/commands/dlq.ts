import { cliRuntime, DATA_DIR_FLAG, loadStack, STACK_DIR_FLAG, STAGE_FLAG } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

const err = (text: string) => process.stderr.write(`${text}\n`);

/** `lambdaform dlq`: lists and redrives failed asynchronous events. */
export const dlqCommand = defineCommand({
  name: "dlq",
  summary: "list or redrive failed asynchronous events",
  usage: `dlq list [--stage dev]
  dlq redrive <queue> [--id <id>]… [--stage dev]`,
  options: { ...STAGE_FLAG, ...STACK_DIR_FLAG, ...DATA_DIR_FLAG, id: { type: "string", multiple: true } },
  async run({ values, positionals, root }) {
    const [action, queue] = positionals;
    if (action !== "list" && !(action === "redrive" && queue))
      throw new UsageError('dlq takes "list" or "redrive <queue>".');
    const stack = loadStack(root, values);
    const runtime = cliRuntime(stack, root, { dataDir: values["data-dir"] });
    try {
      if (action === "list") {
        const letters = runtime.deadLetters.list();
        for (const l of letters) {
          const error = l.record.responsePayload as { errorType?: string; errorMessage?: string } | null;
          process.stdout.write(
            `${l.queueName}\t${l.id}\t${l.receivedAt}\t${l.record.requestContext.condition} after ${l.record.requestContext.approximateInvokeCount}\t${error?.errorType ?? ""}: ${error?.errorMessage ?? ""}\n`,
          );
        }
        err(`${letters.length} dead letter(s)`);
        return 0;
      }
      const results = await runtime.redrive(queue ?? "", values.id);
      const failed = results.filter((r) => r.outcome.status === "failed").length;
      err(`redrove ${results.length} event(s): ${results.length - failed} succeeded, ${failed} failed again`);
      return failed > 0 ? 1 : 0;
    } finally {
      await runtime.close();
    }
  },
});
