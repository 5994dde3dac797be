import { integerWithDefault, loadConfig, requiredString } from "@lambdaform/shared";

/** s3-processor's configuration, validated at cold start. */
export const config = loadConfig({
  /** The FileProcessingLog table of the stage. */
  TABLE_NAME: requiredString(),
  /** How many records of one event are processed at once. */
  MAX_CONCURRENCY: integerWithDefault(8, 1, 64),
});
