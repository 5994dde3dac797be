import { ADMIN_CREDENTIALS } from "../../identity.ts";
import { sinceTime, tailLogs } from "../../logs/tail.ts";
import { findFunction } from "../../stack/read-stack.ts";
import { AWS_FLAG, DATA_DIR_FLAG, loadStack, runningStack, STACK_DIR_FLAG, STAGE_FLAG } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

/** `lambdaform logs`: a function's CloudWatch Logs, from the local stack or from AWS (like `sam logs`). */
export const logsCommand = defineCommand({
  name: "logs",
  summary: "print (and follow) a function's CloudWatch Logs: the local stack's, or AWS's with --aws",
  usage: "logs <function> [--follow] [--since 10m] [--filter <text>] [--stage dev] [--aws]",
  options: {
    ...STAGE_FLAG,
    ...STACK_DIR_FLAG,
    ...DATA_DIR_FLAG,
    ...AWS_FLAG,
    follow: { type: "boolean", short: "f", default: false },
    since: { type: "string", default: "10m" },
    filter: { type: "string" },
  },
  async run({ values, positionals, root }) {
    const [name] = positionals;
    if (!name) throw new UsageError("logs needs a function name.");
    const startTime = sinceTime(values.since);
    if (startTime === undefined)
      throw new UsageError(`--since takes a duration (30s, 10m, 2h, 1d) or a time, got "${values.since}"`);
    const fn = findFunction(loadStack(root, values), name);
    let client: { endpoint?: string; region: string; credentials?: typeof ADMIN_CREDENTIALS };
    if (values.aws)
      client = { region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1" };
    else {
      const stack = runningStack(root, values);
      if (!stack)
        throw new UsageError(
          `No local stack is running for stage ${values.stage}: start it with \`pnpm dev\`, or read AWS's logs with --aws.`,
        );
      client = {
        endpoint: stack.endpoint,
        region: loadStack(root, values).region,
        credentials: ADMIN_CREDENTIALS,
      };
    }
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      await tailLogs({
        client,
        logGroupName: `/aws/lambda/${fn.name}`,
        startTime,
        filter: values.filter,
        follow: values.follow,
        signal: abort.signal,
        print: (line) => process.stdout.write(`${line}\n`),
      });
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    } finally {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
    }
    return 0;
  },
});
