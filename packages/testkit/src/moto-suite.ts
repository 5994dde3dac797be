import {
  FAKE_AWS_ENV,
  findMotoServer,
  MOTO_INSTALL_HINT,
  type MotoServer,
  startMoto,
} from "@lambdaform/moto";
import { withEnv } from "./env.ts";
import { requirePrerequisite, type Skippable } from "./tools.ts";

/** moto for one test suite, with the SDK's environment pointed at it. */
export interface MotoSuite {
  readonly moto: MotoServer;
  /** Restores the environment and stops moto by PID. */
  stop(): Promise<void>;
}

/**
 * Starts moto on a free loopback port for a suite (skipped loudly, or failed under
 * LAMBDAFORM_REQUIRE_TOOLS=1, when moto_server is missing) and sets fake credentials,
 * `AWS_ENDPOINT_URL` and `env` for the code under test.
 *
 * @example
 * before(async function () { suite = await motoForSuite(this, { TABLE_NAME: "T" }); });
 * after(() => suite?.stop());
 */
export async function motoForSuite(
  context: Skippable,
  env: Readonly<Record<string, string>> = {},
): Promise<MotoSuite> {
  const executable = requirePrerequisite(context, "moto_server", findMotoServer(), MOTO_INSTALL_HINT);
  const moto = await startMoto(executable);
  const restore = withEnv({ ...FAKE_AWS_ENV, AWS_ENDPOINT_URL: moto.endpoint, ...env });
  return {
    moto,
    async stop() {
      restore();
      await moto.stop();
    },
  };
}
