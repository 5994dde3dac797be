export type { MotoServer } from "@lambdaform/moto";
export {
  FAKE_AWS_ENV,
  findMotoPython,
  findMotoServer,
  freePort,
  MOTO_INSTALL_HINT,
  startMoto,
} from "@lambdaform/moto";
export { CHROMIUM_ARGS, CHROMIUM_HINT, findChromium } from "./chromium.ts";
export { captureOutput, withEnv } from "./env.ts";
export { eventually } from "./eventually.ts";
export type { MotoSuite } from "./moto-suite.ts";
export { motoForSuite } from "./moto-suite.ts";
export { scratchDirs } from "./scratch.ts";
export type { Skippable } from "./tools.ts";
export { findExecutable, REQUIRE_TOOLS_FLAG, requirePrerequisite } from "./tools.ts";
export type { MochaRun } from "./without-tools.ts";
export { mochaWithout, pathWithout } from "./without-tools.ts";
