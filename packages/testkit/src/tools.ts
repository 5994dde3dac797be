/** Set by `.ci/run`: a missing prerequisite fails the suite instead of skipping it. */
export const REQUIRE_TOOLS_FLAG = "LAMBDAFORM_REQUIRE_TOOLS";

export { findExecutable } from "@lambdaform/moto";

/** The minimal part of a mocha context this needs (so the helper works in `before` hooks). */
export interface Skippable {
  skip(): void;
  readonly test?: { readonly parent?: { fullTitle(): string } | undefined } | undefined;
}

/**
 * Makes a suite depend on an external prerequisite. When it is missing the suite is skipped with a
 * loud line naming what to install, or fails when `LAMBDAFORM_REQUIRE_TOOLS=1` (as `.ci/run` sets).
 *
 * @example
 * before(function () { requirePrerequisite(this, "moto_server", findExecutable("moto_server"), "pip install 'moto[server]'"); });
 */
export function requirePrerequisite<T>(
  context: Skippable,
  what: string,
  found: T | undefined,
  install: string,
): T {
  if (found !== undefined) return found;
  const suite = context.test?.parent?.fullTitle() || "suite";
  const message = `${what} is not available: ${install}`;
  if (process.env[REQUIRE_TOOLS_FLAG] === "1") {
    throw new Error(`${message} (${REQUIRE_TOOLS_FLAG}=1 makes this a failure)`);
  }
  process.stderr.write(`\n  !!! SKIPPED "${suite}": ${message}\n\n`);
  context.skip();
  throw new Error("unreachable: skip() throws");
}
