export type { MotoOptions, MotoServer } from "./moto.ts";
export {
  FAKE_AWS_ENV,
  findExecutable,
  findMotoServer,
  freePort,
  MOTO_INSTALL_HINT,
  spawnMoto,
  startMoto,
  stopChild,
} from "./moto.ts";
export type { PersistentMoto, PersistentMotoOptions, Restored } from "./persistent.ts";
export {
  findMotoPython,
  MOTO_PYTHON_ENV,
  MotoMissingError,
  motoPythonCandidate,
  startPersistentMoto,
} from "./persistent.ts";
