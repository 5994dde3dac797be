import { LOCAL_ACCOUNT_ID } from "../../identity.ts";
import type { InvocationResult } from "../../runtime/types.ts";
import { eventType, generateEvent } from "../../sources/generate.ts";
import {
  buildAndSynth,
  cliRuntime,
  DATA_DIR_FLAG,
  ENDPOINT_FLAG,
  loadStack,
  NO_BUILD_FLAG,
  oneOf,
  readEventFile,
  STACK_DIR_FLAG,
  STAGE_FLAG,
  wholeNumber,
} from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";
import { EVENT_FLAGS, eventOptions } from "./event.ts";

const printResult = (result: InvocationResult) =>
  process.stdout.write(`${JSON.stringify(result.payload, null, 2)}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

/** `lambdaform invoke`: runs a function once (or `--repeat` times) as Lambda runs it. */
export const invokeCommand = defineCommand({
  name: "invoke",
  summary: "run a function as Lambda runs it, from its zip in the synthesized stack",
  usage: `invoke <function> [--stage dev] [--event <file>|-] [--type <event-type>] [event flags…]
         [--invocation-type RequestResponse|Event] [--endpoint-url <url>] [--repeat N] [--no-build]
         [--stack-dir <cdktf.out/stacks/…>] [--data-dir <dir>]`,
  options: {
    ...STAGE_FLAG,
    ...STACK_DIR_FLAG,
    ...DATA_DIR_FLAG,
    ...NO_BUILD_FLAG,
    ...ENDPOINT_FLAG,
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
    const repeat = wholeNumber(values.repeat, "--repeat", 1);
    const invocationType = oneOf(values["invocation-type"], "--invocation-type", [
      "RequestResponse",
      "Event",
    ]);
    if (!values["no-build"] && !values["stack-dir"]) buildAndSynth(root);
    const stack = loadStack(root, values);
    const runtime = cliRuntime(stack, root, {
      dataDir: values["data-dir"],
      endpointUrl: values["endpoint-url"],
    });
    try {
      const fn = runtime.function(name);
      const event = values.event
        ? readEventFile(values.event)
        : values.type
          ? generateEvent(eventType(values.type), stack, LOCAL_ACCOUNT_ID, eventOptions(values))
          : {};
      let failed = false;
      for (let i = 0; i < repeat; i++) {
        if (invocationType === "Event") {
          const { requestId, completion } = fn.invokeAsync(event);
          err(`queued asynchronous invocation ${requestId}`);
          const outcome = await completion;
          const last = outcome.results.at(-1);
          if (last) printResult(last);
          if (outcome.status === "failed") {
            failed = true;
            err(
              `asynchronous invocation ${requestId} failed after ${outcome.attempts} attempts` +
                (outcome.deadLetter
                  ? `; sent to on-failure destination ${outcome.deadLetter.queueName}`
                  : ""),
            );
          }
        } else {
          const result = await fn.invoke(event);
          printResult(result);
          if (result.functionError) failed = true;
        }
      }
      return failed ? 1 : 0;
    } finally {
      await runtime.close();
    }
  },
});
