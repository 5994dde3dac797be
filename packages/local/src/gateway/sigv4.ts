import type { IncomingHttpHeaders } from "node:http";
import { type ErrorShape, errorShapeOf, refuse } from "./aws-error.ts";

/** The signature's claims: who signs, for which region and service. */
export interface Signature {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** `<key id>/<yyyymmdd>/<region>/<service>/aws4_request`: the credential scope, exactly. */
const CREDENTIAL = /^([^/\s,=]{1,128})\/(\d{8})\/([a-z0-9-]{1,32})\/([a-z0-9-]{1,64})\/aws4_request$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const SIGNED_HEADERS = /^[a-z0-9-]+(;[a-z0-9-]+)*$/;
const QUERY_AUTH = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
];
/** Any spelling of a presigned parameter: a request with one is a presigned request, or refused. */
const QUERY_AUTH_KEY = /^x-amz-(algorithm|credential|date|signedheaders|signature)$/i;

function credentialOf(value: string, shape: ErrorShape, where: string): Signature {
  const parts = CREDENTIAL.exec(value);
  if (!parts)
    refuse(
      shape,
      "IncompleteSignature",
      `${where}: the credential "${value}" is not <access key id>/<yyyymmdd>/<region>/<service>/aws4_request`,
      403,
    );
  return { accessKeyId: parts[1] ?? "", region: parts[3] ?? "", service: parts[4] ?? "" };
}

/** The service a request's credential names, best effort, for the shape of an error about it. */
function guessShape(text: string): ErrorShape {
  return errorShapeOf(/\/[a-z0-9-]+\/([a-z0-9-]+)\/aws4_request/.exec(text)?.[1]);
}

/**
 * The one reading of a request's SigV4 signature, shared by authorization and what moto is
 * sent: the `Authorization` header (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`,
 * each part exactly once) or presigned query parameters (each exactly once), never both.
 * Undefined for an unsigned request; anything else that claims a signature is refused (403 in the
 * service's shape), so no part of the pipeline can read a different signer than another.
 * The signature itself is not verified: any key but a function's is the local admin anyway.
 *
 * @throws {Refused} for a malformed, ambiguous or doubled signature.
 */
export function parseSignature(
  headers: IncomingHttpHeaders,
  rawHeaders: ReadonlyArray<string>,
  url: URL,
): Signature | undefined {
  // Only a SigV4 header claims a signature: `Bearer …` and other schemes are an API's business.
  const authorization = headers.authorization;
  const header = authorization !== undefined && /^\s*AWS4-/i.test(authorization) ? authorization : undefined;
  const query = url.searchParams;
  // Most requests (every API Gateway call) have no query at all.
  const authKeys = url.search === "" ? [] : [...query.keys()].filter((key) => QUERY_AUTH_KEY.test(key));
  // A presigned request names its credential or algorithm; a stray X-Amz-Signature is a parameter.
  const presigned = authKeys.some((key) => /^x-amz-(credential|algorithm)$/i.test(key));
  if (header === undefined && !presigned) return undefined;
  const authorizations = rawHeaders.filter(
    (name, i) => i % 2 === 0 && name.toLowerCase() === "authorization",
  );
  const shape = guessShape(header ?? query.get("X-Amz-Credential") ?? "");
  if (authorizations.length > 1) refuse(shape, "InvalidRequest", "more than one Authorization header");
  if (header !== undefined && presigned)
    refuse(
      shape,
      "InvalidRequest",
      "only one auth mechanism allowed: the Authorization header or presigned query parameters, not both",
    );
  if (header !== undefined) return headerSignature(header, shape);
  for (const key of authKeys)
    if (!QUERY_AUTH.includes(key))
      refuse(
        shape,
        "AuthorizationQueryParametersError",
        `"${key}" is not how a presigned parameter is spelled`,
      );
  for (const name of QUERY_AUTH)
    if (query.getAll(name).length !== 1)
      refuse(shape, "AuthorizationQueryParametersError", `a presigned request needs ${name} exactly once`);
  if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256")
    refuse(shape, "AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256");
  if (!SIGNATURE.test(query.get("X-Amz-Signature") ?? ""))
    refuse(shape, "AuthorizationQueryParametersError", "X-Amz-Signature must be 64 hex digits");
  return credentialOf(query.get("X-Amz-Credential") ?? "", shape, "X-Amz-Credential");
}

function headerSignature(header: string, shape: ErrorShape): Signature {
  const match = /^AWS4-HMAC-SHA256 +(.*)$/s.exec(header);
  if (!match)
    refuse(shape, "IncompleteSignature", "the Authorization header must start with AWS4-HMAC-SHA256", 403);
  const parts = new Map<string, string>();
  // moto takes the service from the first part: it must be the Credential.
  if (!/^Credential=/.test(match[1] ?? ""))
    refuse(shape, "IncompleteSignature", "the Authorization header must name its Credential first", 403);
  for (const part of (match[1] ?? "").split(",")) {
    const [name = "", ...rest] = part.trim().split("=");
    if (!["Credential", "SignedHeaders", "Signature"].includes(name) || rest.length === 0)
      refuse(
        shape,
        "IncompleteSignature",
        `the Authorization header has an unexpected part "${part.trim()}"`,
        403,
      );
    if (parts.has(name))
      refuse(shape, "IncompleteSignature", `the Authorization header names ${name} twice`, 403);
    parts.set(name, rest.join("="));
  }
  for (const name of ["Credential", "SignedHeaders", "Signature"])
    if (!parts.has(name))
      refuse(shape, "IncompleteSignature", `the Authorization header has no ${name}`, 403);
  if (!SIGNED_HEADERS.test(parts.get("SignedHeaders") ?? ""))
    refuse(shape, "IncompleteSignature", "SignedHeaders must be lower-case header names joined by ;", 403);
  if (!SIGNATURE.test(parts.get("Signature") ?? ""))
    refuse(shape, "IncompleteSignature", "Signature must be 64 hex digits", 403);
  return credentialOf(parts.get("Credential") ?? "", shape, "the Authorization header");
}
