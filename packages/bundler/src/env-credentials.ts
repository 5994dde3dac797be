// Bundled in place of @aws-sdk/credential-provider-node (see `envCredentialsPlugin`): the AWS SDK's
// default credential provider, reduced to what Lambda gives a function, its role's credentials in
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (the local runtime gives the first two).
// The full chain (SSO, shared ini files, credential_process, web identity, container and instance
// metadata) and the STS/SSO clients it brings were a third of an SDK function's bundle and of its cold
// init. A bundle therefore never reads ~/.aws or AWS_PROFILE: to run one against AWS locally, put
// credentials in the environment (e.g. `eval "$(aws configure export-credentials --format env)"`).
// Self-contained on purpose: the bundler resolves no AWS SDK package itself.

interface EnvCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
  /** The SDK's record of where credentials came from (its user agent reports it), as `fromEnv` sets it. */
  readonly $source: Readonly<Record<string, string>>;
}

/** Thrown when the environment holds no credentials; the name the SDK's own provider errors carry. */
export class CredentialsProviderError extends Error {
  override readonly name = "CredentialsProviderError";
  readonly tryNextLink = false;
}

/** The SDK's `defaultProvider(init)`: a provider of the environment's credentials, read on each call. */
export function defaultProvider(_init: unknown = {}): () => Promise<EnvCredentials> {
  return async () => {
    const env = process.env;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey)
      throw new CredentialsProviderError(
        "No credentials in the environment: a lambdaform bundle reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
          "(and AWS_SESSION_TOKEN) only, as Lambda sets them; it does not read AWS_PROFILE or ~/.aws.",
      );
    const expiration = env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
      ...(env.AWS_CREDENTIAL_SCOPE ? { credentialScope: env.AWS_CREDENTIAL_SCOPE } : {}),
      ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
      $source: { CREDENTIALS_ENV_VARS: "g" },
    };
  };
}

/** As exported by @aws-sdk/credential-provider-node. */
export const credentialsWillNeedRefresh = (credentials: { expiration?: Date } | undefined): boolean =>
  credentials?.expiration !== undefined;

/** As exported by @aws-sdk/credential-provider-node: five minutes before expiry counts as expired. */
export const credentialsTreatedAsExpired = (credentials: { expiration?: Date } | undefined): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
