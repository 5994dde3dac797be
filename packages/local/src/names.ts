/** The kinds of things a user names on the command line. */
export type NameKind = "function" | "event type" | "rule" | "queue" | "stage";

/**
 * A name that is not one of the valid choices (a function, event type, rule, queue or stage).
 * The CLI reports it as a usage error (exit code 2) with the choices.
 *
 * @example
 * throw new UnknownNameError("function", "hello", ["hello-api", "s3-processor"], { where: "in stack lambdaform-dev" });
 * // Unknown function "hello" in stack lambdaform-dev. Valid choices: hello-api, s3-processor.
 */
export class UnknownNameError extends Error {
  override readonly name = "UnknownNameError";

  constructor(
    readonly kind: NameKind,
    readonly value: string,
    readonly choices: ReadonlyArray<string>,
    options: {
      /** Where it was looked for, e.g. `in stack lambdaform-dev`. */
      readonly where?: string;
      /** How the choices are introduced (default `Valid choices`). */
      readonly label?: string;
      /** Replaces the opening `Unknown <kind> "<value>"` when another phrase says it better. */
      readonly lead?: string;
    } = {},
  ) {
    const { where, label = "Valid choices" } = options;
    const lead = options.lead ?? `Unknown ${kind} "${value}"${where ? ` ${where}` : ""}`;
    super(
      `${lead}. ${choices.length > 0 ? `${label}: ${choices.join(", ")}.` : `There is no ${kind} to choose from.`}`,
    );
  }
}
