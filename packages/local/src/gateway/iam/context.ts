/** The request context: condition keys looked up case-insensitively, with the principal's own keys. */

import type { AuthzPrincipal, AuthzRequest, ContextValue } from "./types.ts";

/** A key's value as the evaluator compares it: always strings; `multi` when the key is an array. */
export interface ContextEntry {
  readonly values: ReadonlyArray<string>;
  readonly multi: boolean;
}

const SESSION = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;
const USER = /^arn:aws[\w-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/;

/** The role ARN of a session: given, or derived from the session ARN (right for roles without a path). */
export function roleArnOf(principal: {
  readonly arn: string;
  readonly roleArn?: string;
}): string | undefined {
  if (principal.roleArn) return principal.roleArn;
  const session = SESSION.exec(principal.arn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : undefined;
}

/** The global keys AWS puts in the request context for this caller. */
function principalKeys(principal: AuthzPrincipal | undefined): Record<string, ContextValue | undefined> {
  if (!principal || principal.kind === "anonymous") return {};
  if (principal.kind === "service") {
    return { "aws:PrincipalIsAWSService": true, "aws:PrincipalServiceName": principal.service };
  }
  const root = principal.arn.endsWith(":root");
  const keys: Record<string, ContextValue | undefined> = {
    "aws:PrincipalArn": roleArnOf(principal) ?? principal.arn,
    "aws:PrincipalAccount": principal.account,
    "aws:PrincipalIsAWSService": false,
    "aws:username": USER.exec(principal.arn)?.[1],
    // The root user's aws:userid is the account id.
    "aws:userid": principal.userId ?? (root ? principal.account : undefined),
  };
  for (const [tag, value] of Object.entries(principal.tags ?? {})) keys[`aws:PrincipalTag/${tag}`] = value;
  return keys;
}

const asStrings = (value: ContextValue): ReadonlyArray<string> =>
  typeof value === "object" ? value.map(String) : [String(value)];

/** Key names are case-insensitive ("aws:SourceIP is equivalent to AWS:SourceIp"); values are not. */
export class RequestContext {
  private readonly entries = new Map<string, ContextEntry>();

  constructor(request: AuthzRequest) {
    for (const source of [principalKeys(request.principal), request.context]) {
      for (const [key, value] of Object.entries(source)) {
        if (value === undefined) continue;
        this.entries.set(key.toLowerCase(), { values: asStrings(value), multi: typeof value === "object" });
      }
    }
  }

  /** The key's values, or undefined when the request does not carry it. */
  get(key: string): ContextEntry | undefined {
    return this.entries.get(key.toLowerCase());
  }
}
