import { type ParseArgsConfig, parseArgs } from "node:util";

/** A mistake in how the command was called: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>;

/** What a verb's `run` gets: its own flags, typed, and its positional arguments. */
export interface CommandInput<O extends Options> {
  readonly values: Parsed<O>["values"];
  readonly positionals: ReadonlyArray<string>;
  /** The repository root (where `pnpm-workspace.yaml` is). */
  readonly root: string;
}

/** One verb of the `lambdaform` CLI: its usage text, its own flags and what it runs. */
export interface Command<O extends Options = Options> {
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** The verb's usage lines, without the leading `lambdaform`. */
  readonly usage: string;
  readonly options: O;
  run(input: CommandInput<O>): Promise<number> | number;
}

/** Declares a verb; `values` in `run` is typed from `options`. */
export function defineCommand<const O extends Options>(command: Command<O>): Command<O> {
  return command;
}

/** The flags a verb takes, as its error messages list them. */
export function flagList(options: Options): string {
  return Object.entries(options)
    .map(([name, o]) => `--${name}${o.type === "string" ? " <value>" : ""}`)
    .join(", ");
}

/**
 * Parses a verb's arguments strictly: a flag the verb does not take, or a value missing, is a
 * {@link UsageError} that names the verb's valid flags.
 */
export function parseCommand<O extends Options>(
  command: Command<O>,
  argv: ReadonlyArray<string>,
): { values: Parsed<O>["values"]; positionals: string[]; help: boolean } {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    const { help, ...values } = parsed.values as Record<string, unknown>;
    return { values: values as Parsed<O>["values"], positionals: parsed.positionals, help: help === true };
  } catch (error) {
    const e = error as Error & { code?: string };
    if (!e.code?.startsWith("ERR_PARSE_ARGS")) throw error;
    const flag = /'(-[^']*)'/.exec(e.message)?.[1];
    const what =
      e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
        ? `${command.name} does not take ${flag ?? "that flag"}`
        : `${command.name}: ${e.message.split(". ")[0]}`;
    throw new UsageError(`${what}. Valid flags for ${command.name}: ${flagList(command.options)}.`);
  }
}
