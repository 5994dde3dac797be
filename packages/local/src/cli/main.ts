import { UnknownNameError } from "../names.ts";
import { type Command, parseCommand, UsageError } from "./command.ts";
import { costCommand } from "./commands/cost.ts";
import { devCommand } from "./commands/dev.ts";
import { dlqCommand } from "./commands/dlq.ts";
import { eventCommand } from "./commands/event.ts";
import { invokeCommand } from "./commands/invoke.ts";
import { logsCommand } from "./commands/logs.ts";
import { reviewCommand } from "./commands/review.ts";
import { triggerCommand } from "./commands/trigger.ts";
import { INSPECT_ALL } from "./inspect.ts";
import { repoRoot } from "./paths.ts";

/** Every verb, in the order the overview lists them. */
export const COMMANDS: ReadonlyArray<Command> = [
  invokeCommand,
  eventCommand,
  devCommand,
  triggerCommand,
  logsCommand,
  reviewCommand,
  costCommand,
  dlqCommand,
] as ReadonlyArray<Command>;

const overview = () =>
  `Usage: lambdaform <command> [flags]   (lambdaform <command> --help for its flags)

${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join("\n")}`;

const usageOf = (command: Command) => `Usage: lambdaform ${command.usage}`;

/** Runs the CLI; returns the exit code (0 done, 1 failed, 2 a usage error). */
export async function main(argv: ReadonlyArray<string>): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    process.stdout.write(`${overview()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(
      `lambdaform: Unknown command "${name}". Commands: ${COMMANDS.map((c) => c.name).join(", ")}.\n${overview()}\n`,
    );
    return 2;
  }
  try {
    // `--inspect` alone (no function named) inspects every function.
    const args = rest.map((arg) => (arg === "--inspect" ? `--inspect=${INSPECT_ALL}` : arg));
    const { values, positionals, help } = parseCommand(command, args);
    if (help) {
      process.stdout.write(`${usageOf(command)}\n`);
      return 0;
    }
    return await command.run({ values, positionals, root: repoRoot() });
  } catch (error) {
    const usage = error instanceof UsageError || error instanceof UnknownNameError;
    process.stderr.write(`lambdaform: ${(error as Error).message}${usage ? `\n${usageOf(command)}` : ""}\n`);
    return usage ? 2 : 1;
  }
}
