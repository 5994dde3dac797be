import { loadConfig, stringWithDefault } from "@lambdaform/shared";

/** hello-api's configuration, validated at cold start. */
export const config = loadConfig({
  /** `Access-Control-Allow-Origin` on every response. */
  CORS_ALLOW_ORIGIN: stringWithDefault("*"),
});
