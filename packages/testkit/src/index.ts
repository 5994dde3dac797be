export { captureOutput, withEnv } from "./env.ts";
export type { MotoServer } from "./moto.ts";
export { FAKE_AWS_ENV, findMotoServer, freePort, MOTO_INSTALL_HINT, startMoto } from "./moto.ts";
export type { Skippable } from "./tools.ts";
export { findExecutable, REQUIRE_TOOLS_FLAG, requirePrerequisite } from "./tools.ts";
