import { LOCAL_ACCOUNT_ID } from "../../identity.ts";
import type { AsyncOutcome } from "../../runtime/function-runtime.ts";
import type { InvocationResult } from "../../runtime/types.ts";
import { eventType, generateEvent } from "../../sources/generate.ts";
import { findFunction } from "../../stack/read-stack.ts";
import {
  AWS_FLAG,
  buildAndSynth,
  cliRuntime,
  DATA_DIR_FLAG,
  ENDPOINT_FLAG,
  endpointEnv,
  loadStack,
  localStackEnv,
  NO_BUILD_FLAG,
  oneOf,
  readEventFile,
  runningStack,
  STACK_DIR_FLAG,
  STAGE_FLAG,
  wholeNumber,
} from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";
import { INSPECT_FLAGS, startInspector } from "../inspect.ts";
import { EVENT_FLAGS, eventOptions } from "./event.ts";

const err = (text: string) => process.stderr.write(`${text}\n`);

/** Prints an invocation as `invoke` does: the payload on stdout; says whether it failed. */
function report(result: InvocationResult | undefined): boolean {
  if (result) process.stdout.write(`${JSON.stringify(result.payload, null, 2)}\n`);
  return result?.functionError !== undefined;
}

function reportAsync(outcome: AsyncOutcome): boolean {
  report(outcome.results.at(-1));
  if (outcome.status === "dropped") {
    err(
      `asynchronous invocation ${outcome.requestId} failed after ${outcome.attempts} attempts and was dropped: ${outcome.reason ?? "no reason given"}`,
    );
    return true;
  }
  if (outcome.status !== "failed") return false;
  err(
    `asynchronous invocation ${outcome.requestId} failed after ${outcome.attempts} attempts` +
      (outcome.deadLetter
        ? `; sent to on-failure destination ${outcome.deadLetter.queueName}` +
          (outcome.deadLetter.payloadsDropped ? " without its payloads (too large for the queue)" : "")
        : ""),
  );
  return true;
}

/** `lambdaform invoke`: runs a function once (or `--repeat` times) as Lambda runs it. */
export const invokeCommand = defineCommand({
  name: "invoke",
  summary: "run a function as Lambda runs it: in the running local stack, or from its zip here",
  usage: `invoke <function> [--stage dev] [--event <file>|-] [--type <event-type>] [event flags…]
         [--invocation-type RequestResponse|Event] [--repeat N] [--no-build]
         [--aws | --endpoint-url <url>] [--inspect [--inspect-port 9229]]
         [--stack-dir <cdktf.out/stacks/…>] [--data-dir <dir>]
  With \`pnpm dev\` running for the stage, the invocation runs in that stack (its IAM, its logs).
  --aws: run here against AWS itself, with your AWS credentials. --endpoint-url: against that endpoint.
  --inspect: run here, waiting for a debugger to attach; timeouts stop while it holds the function paused.`,
  options: {
    ...STAGE_FLAG,
    ...STACK_DIR_FLAG,
    ...DATA_DIR_FLAG,
    ...NO_BUILD_FLAG,
    ...ENDPOINT_FLAG,
    ...AWS_FLAG,
    ...INSPECT_FLAGS,
    event: { type: "string" },
    type: { type: "string" },
    "invocation-type": { type: "string", default: "RequestResponse" },
    repeat: { type: "string", default: "1" },
    ...EVENT_FLAGS,
  },
  async run({ values, positionals, root }) {
    const [name] = positionals;
    if (!name) throw new UsageError("invoke needs a function name.");
    if (values.event && values.type) throw new UsageError("Give either --event or --type, not both.");
    if (values.aws && values["endpoint-url"])
      throw new UsageError("Give either --aws or --endpoint-url, not both.");
    const repeat = wholeNumber(values.repeat, "--repeat", 1);
    const invocationType = oneOf(values["invocation-type"], "--invocation-type", [
      "RequestResponse",
      "Event",
    ]);
    if (!values["no-build"] && !values["stack-dir"]) buildAndSynth(root);
    const stack = loadStack(root, values);
    const spec = findFunction(stack, name);
    const event = values.event
      ? readEventFile(values.event)
      : values.type
        ? generateEvent(eventType(values.type), stack, LOCAL_ACCOUNT_ID, eventOptions(values))
        : {};
    const target = values.aws || values["endpoint-url"] ? undefined : runningStack(root, values);

    // In the running stack: the invocation is the stack's (its runtime, IAM, CloudWatch Logs).
    if (target && values.inspect === undefined) {
      let failed = false;
      for (let i = 0; i < repeat; i++) {
        const answer = await target.invoke(spec.name, event, invocationType);
        if (invocationType === "Event") failed = reportAsync(answer as AsyncOutcome) || failed;
        else {
          for (const line of (answer as InvocationResult).logs) err(line);
          failed = report(answer as InvocationResult) || failed;
        }
      }
      return failed ? 1 : 0;
    }

    // Here, in this process: against AWS, an endpoint, the running stack (for a debugger), or nothing.
    const extraEnv = values.aws
      ? () => endpointEnv(undefined)
      : values["endpoint-url"]
        ? () => endpointEnv(values["endpoint-url"])
        : target
          ? localStackEnv(target.endpoint)
          : () => ({});
    if (!values.aws && !values["endpoint-url"] && !target)
      err(
        `lambdaform: no local stack is running for stage ${values.stage}: the function runs here with no AWS endpoint ` +
          "or credentials (start `pnpm dev`, or pass --aws or --endpoint-url)",
      );
    const pauses = startInspector(values, { wait: true, log: err });
    const runtime = cliRuntime(stack, root, { dataDir: values["data-dir"], extraEnv, pauses });
    try {
      const fn = runtime.function(spec.name);
      let failed = false;
      for (let i = 0; i < repeat; i++) {
        if (invocationType === "Event") {
          const { requestId, completion } = fn.invokeAsync(event);
          err(`queued asynchronous invocation ${requestId}`);
          failed = reportAsync(await completion) || failed;
        } else failed = report(await fn.invoke(event)) || failed;
      }
      return failed ? 1 : 0;
    } finally {
      await runtime.close();
      pauses?.close();
    }
  },
});
