import type { DeadLetter, UnreadableLetter } from "../../runtime/dead-letters.ts";
import { cliRuntime, DATA_DIR_FLAG, loadStack, runningStack, STACK_DIR_FLAG, STAGE_FLAG } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

const err = (text: string) => process.stderr.write(`${text}\n`);

function printLetters(letters: ReadonlyArray<DeadLetter>): void {
  for (const l of letters) {
    const error = l.record.responsePayload as { errorType?: string; errorMessage?: string } | null;
    process.stdout.write(
      `${l.queueName}\t${l.id}\t${l.receivedAt}\t${l.record.requestContext?.condition} after ${l.record.requestContext?.approximateInvokeCount}\t${error?.errorType ?? ""}: ${error?.errorMessage ?? ""}\n`,
    );
  }
  err(`${letters.length} dead letter(s)`);
}

/** One line per file of the local store that holds no readable dead letter. */
function warnUnreadable(unreadable: ReadonlyArray<UnreadableLetter>): void {
  for (const u of unreadable)
    err(
      `lambdaform: warning: skipped ${u.file}: ${u.reason}. It is not a readable dead letter: fix its JSON, or move it out of the store.`,
    );
}

/** `lambdaform dlq`: lists and redrives failed asynchronous events. */
export const dlqCommand = defineCommand({
  name: "dlq",
  summary: "list or redrive failed asynchronous events (the local stack's SQS DLQs under pnpm dev)",
  usage: `dlq list [--stage dev]
  dlq redrive <queue> [--id <id>]… [--stage dev]
  With \`pnpm dev\` running for the stage: the stack's own SQS on-failure queues in moto; a redriven
  message is deleted only once its invocation succeeds. Otherwise: the local store \`pnpm invoke\` uses.`,
  options: { ...STAGE_FLAG, ...STACK_DIR_FLAG, ...DATA_DIR_FLAG, id: { type: "string", multiple: true } },
  async run({ values, positionals, root }) {
    const [action, queue] = positionals;
    if (action !== "list" && !(action === "redrive" && queue))
      throw new UsageError('dlq takes "list" or "redrive <queue>".');
    const stack = runningStack(root, values);
    if (stack) {
      if (action === "list") {
        printLetters(await stack.deadLetters());
        return 0;
      }
      const results = await stack.redrive(queue ?? "", values.id);
      for (const r of results)
        if (r.status === "failed") {
          const error = r.error as { errorType?: string; errorMessage?: string } | null;
          err(
            `${r.id}\t${r.functionName}\tfailed again: ${error?.errorType ?? "Error"}: ${error?.errorMessage ?? ""}`,
          );
        }
      const failed = results.filter((r) => r.status === "failed").length;
      err(
        `redrove ${results.length} event(s): ${results.length - failed} succeeded (deleted), ${failed} failed again (kept)`,
      );
      return failed > 0 ? 1 : 0;
    }
    const runtime = cliRuntime(loadStack(root, values), root, { dataDir: values["data-dir"] });
    try {
      if (action === "list") {
        const { letters, unreadable } = runtime.deadLetters.scan();
        printLetters(letters);
        warnUnreadable(unreadable);
        return 0;
      }
      const results = await runtime.redrive(queue ?? "", values.id);
      warnUnreadable(runtime.deadLetters.scan(queue).unreadable);
      for (const { letter, outcome } of results)
        if (outcome.status === "dropped") err(`${letter.id}\tdropped: ${outcome.reason ?? ""}`);
      const failed = results.filter((r) => r.outcome.status !== "succeeded").length;
      err(`redrove ${results.length} event(s): ${results.length - failed} succeeded, ${failed} failed again`);
      return failed > 0 ? 1 : 0;
    } finally {
      await runtime.close();
    }
  },
});
