import type { IncomingHttpHeaders } from "node:http";
import { jsonReply, type Reply } from "../http/reply.ts";
import { awsError, errorShapeOf } from "./aws-error.ts";

/**
 * The gateway's front door: what it refuses before reading a body. It listens on loopback, but
 * every web page the user visits can send it requests (and a DNS-rebound name can even read the
 * answers), so:
 *
 * - only loopback names are accepted in `Host` (127.0.0.1, localhost, [::1], and
 *   `*.execute-api.localhost` for API Gateway's own host names): a rebound `attacker.example`
 *   is refused;
 * - moto's own control API (`/moto-api/`, which reads, resets and replaces moto's whole state) and
 *   the state launcher's are never reachable through the gateway: our own code talks to moto
 *   directly;
 * - a cross-site browser request (an `Origin` that is not the gateway's own, or a
 *   `Sec-Fetch-Site` other than same-origin or none) is refused on the AWS API and the control
 *   API. API Gateway's routes answer it as AWS does: CORS is the function's business. The one
 *   exception is a top-level navigation to the console's page itself (a link followed from
 *   elsewhere): it only loads the page, which no other page may frame, and whose own calls are
 *   same-origin;
 * - bodies are capped (see {@link BODY_LIMITS}).
 */

/** How the gateway routes a request, as far as the front door is concerned. */
export type RouteKind = "control" | "aws" | "api";

/**
 * The largest body each kind of request may carry, in bytes:
 * - API Gateway: its 10 MB payload quota (REST APIs), answered 413 as it does;
 * - the control API: Lambda's 6 MB synchronous invocation payload (its biggest use);
 * - S3 object writes: a local cap of 512 MiB per request (S3's own is 5 GB per PUT; the gateway
 *   holds a request in memory, so larger objects go up as multipart uploads, as SDKs do past a
 *   threshold anyway);
 * - other AWS API calls: 72 MiB, room for the largest, Lambda's CreateFunction with a zip of
 *   its 50 MB direct-upload quota in base64 (DynamoDB's BatchWriteItem takes up to 16 MB).
 */
export const BODY_LIMITS = {
  api: 10 * 1024 * 1024,
  control: 6 * 1024 * 1024,
  s3: 512 * 1024 * 1024,
  aws: 72 * 1024 * 1024,
} as const;

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The name part of a Host header (`[::1]:4566` → `[::1]`); undefined when malformed. */
export function hostName(host: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(host);
  return match?.[1]?.toLowerCase();
}

/** Host headers already judged: every request sends one, and a client sends the same one each time. */
const judgedHosts = new Map<string, boolean>();

/** Whether a Host header names this machine's loopback (or API Gateway's local host names). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const judged = judgedHosts.get(host);
  if (judged !== undefined) return judged;
  const name = hostName(host);
  const loopback = !!name && (LOOPBACK_NAMES.has(name) || /^[a-z0-9-]+\.execute-api\.localhost$/.test(name));
  if (judgedHosts.size >= 256) judgedHosts.clear();
  judgedHosts.set(host, loopback);
  return loopback;
}

/**
 * Whether a path reaches moto's control API or the launcher's once moto decodes it (werkzeug
 * decodes `%XX`; repeated slashes are folded conservatively). Undefined when it does not decode.
 */
function reachesMotoControl(pathname: string): boolean | undefined {
  let decoded = pathname;
  if (pathname.includes("%"))
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
  const folded = decoded.replace(/\/{2,}/g, "/").toLowerCase();
  return /^\/(moto-api|_lambdaform-moto)(\/|$)/.test(folded);
}

/** A browser's top-level navigation (not a frame, not a script's fetch) to the console's page. */
function consoleNavigation(request: { method: string; headers: IncomingHttpHeaders; url: URL }): boolean {
  return (
    request.method === "GET" &&
    request.url.pathname === "/_lambdaform/" &&
    request.headers["sec-fetch-mode"] === "navigate" &&
    request.headers["sec-fetch-dest"] === "document"
  );
}

/** Whether a browser sent this request from a page of another origin. */
function crossSite(headers: IncomingHttpHeaders, host: string): string | undefined {
  const site = headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site: ${site}`;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  if (origin !== `http://${host}`) return `Origin: ${origin}`;
  return undefined;
}

const refusal = (
  kind: RouteKind,
  service: string | undefined,
  status: number,
  code: string,
  message: string,
) =>
  kind === "aws"
    ? awsError(errorShapeOf(service), status, code, message)
    : jsonReply(status, { message }, { "x-amzn-errortype": code });

/**
 * The front door's answer to a request, or undefined to let it in: the Host, moto's control
 * paths, cross-site browser requests, and a declared body over the limit.
 */
export function frontDoor(
  request: {
    readonly method: string;
    readonly headers: IncomingHttpHeaders;
    readonly url: URL;
    readonly host: string | undefined;
  },
  kind: RouteKind,
  service: string | undefined,
): Reply | undefined {
  if (!isLoopbackHost(request.host))
    return refusal(
      kind,
      service,
      403,
      "InvalidHost",
      `the local gateway answers only loopback host names (127.0.0.1, localhost, [::1], *.execute-api.localhost), not "${request.host ?? ""}"`,
    );
  const moto = reachesMotoControl(request.url.pathname);
  if (moto === undefined && kind !== "api")
    return awsError(errorShapeOf(service), 400, "InvalidURI", "the path has a malformed % escape");
  if (moto) return jsonReply(404, { message: "moto's control API is not served through the gateway" });
  if (kind !== "api" && !consoleNavigation(request)) {
    const why = crossSite(request.headers, request.host ?? "");
    if (why)
      return refusal(
        kind,
        service,
        403,
        "CrossSiteRequestRefused",
        `the local gateway refuses cross-site browser requests to the AWS and control APIs (${why}); call it from a program, or from a page it serves`,
      );
  }
  // A page can send a cross-origin POST without asking first only as a form or text/plain: a
  // control call must say it is JSON, which a browser does only after a CORS preflight this refuses.
  if (kind === "control" && request.method === "POST") {
    const type = String(request.headers["content-type"] ?? "");
    if (!/^application\/json\s*(;|$)/i.test(type))
      return jsonReply(415, { message: "control calls send Content-Type: application/json" });
  }
  const declared = Number(request.headers["content-length"] ?? 0);
  const limit = bodyLimit(kind, service);
  if (declared > limit) return tooLarge(kind, service, limit);
  return undefined;
}

/** The body cap of a request. */
export function bodyLimit(kind: RouteKind, service: string | undefined): number {
  if (kind === "aws") return service === "s3" ? BODY_LIMITS.s3 : BODY_LIMITS.aws;
  return BODY_LIMITS[kind];
}

/** The answer to a body over its cap, in the shape its service uses. */
export function tooLarge(kind: RouteKind, service: string | undefined, limit: number): Reply {
  if (kind === "api") return jsonReply(413, { message: "Request Too Long" });
  if (kind === "aws" && service === "s3")
    return awsError(
      "s3",
      400,
      "EntityTooLarge",
      `Your proposed upload exceeds the local gateway's limit of ${limit} bytes per request: upload it in parts (multipart upload).`,
    );
  return refusal(kind, service, 413, "RequestEntityTooLarge", `the request body is over ${limit} bytes`);
}
