import { findExecutable } from "@lambdaform/moto";

/** What to do when no browser is found (the console's browser test and `pnpm bench --only console`). */
export const CHROMIUM_HINT =
  "install Debian's chromium (apt-get install chromium; .ci/run installs it), or name a Chrome in LAMBDAFORM_CHROMIUM";

/** The browser: LAMBDAFORM_CHROMIUM, else Debian's chromium, else Google Chrome (GitHub's runners have it). */
export const findChromium = (): string | undefined =>
  process.env.LAMBDAFORM_CHROMIUM ||
  findExecutable("chromium") ||
  findExecutable("google-chrome") ||
  undefined;

/** Chromium's flags for a closed network: without them it keeps dialling Google's hosts. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
