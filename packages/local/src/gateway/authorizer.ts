import { randomUUID } from "node:crypto";
import { GetBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import type { Reply } from "../http/reply.ts";
import { assumedRoleArn } from "../identity.ts";
import { accessDenied } from "./access-denied.ts";
import type { Call, Operation } from "./classify.ts";
import { evaluate, type PolicyDocument } from "./iam.ts";
import type { MotoLink } from "./moto-link.ts";
import type { Caller, Routing } from "./routing.ts";

export type IamMode = "enforce" | "warn" | "off";

/** A refused call: the service's own AccessDenied answer, and the line the terminal shows. */
export interface Denial {
  readonly reply: Reply;
  readonly logLine: string;
}

/**
 * The authorize step: works out whether the caller is one of the deployed functions (by its access
 * key) and, if so, evaluates the call against that function's role policies as deployed, plus the
 * bucket policy for S3. Calls with any other credentials are the account's admin and pass.
 * Bucket policies are read from moto once and cached until a call changes them.
 */
export class Authorizer {
  private readonly policyCache = new Map<string, PolicyDocument | null>();
  private readonly s3: S3Client;

  constructor(
    moto: MotoLink,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.s3 = new S3Client(moto.clientConfig());
  }

  /** The denial of a function's call, or undefined when it is allowed (or not a function's). */
  async authorize(call: Call, routing: Routing): Promise<Denial | undefined> {
    const caller = routing.callers.get(call.signature.accessKeyId);
    if (!caller) return undefined;
    const principal = assumedRoleArn(routing.deployed.accountId, caller.roleName, caller.functionName);
    const requestId = randomUUID();
    const service = call.signature.service;
    if (call.checks.length === 0) {
      const what = call.unrecognised ?? `an operation of ${service}`;
      const unknown = { service, action: `${service}:(unrecognised operation)`, resource: "*" };
      return {
        reply: accessDenied(
          unknown,
          principal,
          `the local gateway does not recognise this operation (${what}), so it allows it to no function`,
          requestId,
        ),
        logLine: `${caller.functionName} called ${what}, which the gateway does not recognise`,
      };
    }
    // The function's session of its role, as a resource policy's Principal names it.
    const account = routing.deployed.accountId;
    const session = { arn: principal, account, roleArn: `arn:aws:iam::${account}:role/${caller.roleName}` };
    // Every check must pass: the call's own action, a copy's source, each key or table it names.
    for (const check of call.checks) {
      const bucket = check.service === "s3" ? /^arn:aws:s3:::([^/]+)/.exec(check.resource)?.[1] : undefined;
      const resourcePolicy = bucket ? await this.bucketPolicy(bucket) : undefined;
      const decision = evaluate(
        { ...check, principal: session },
        caller.policies,
        resourcePolicy ?? undefined,
      );
      // What the evaluator could not evaluate counted against the call (fail safe): say so.
      if (decision.unsupported?.length)
        this.log(
          `IAM: for ${caller.functionName}'s ${check.action}, not evaluated (counted as matching in a Deny, not in an Allow): ${decision.unsupported.join("; ")}`,
        );
      if (!decision.allowed) return deny(caller, check, principal, decision, requestId);
    }
    return undefined;
  }

  /** Drops the cached policy of a bucket (after a call changed it). */
  forgetBucket(bucket: string): void {
    this.policyCache.delete(bucket);
  }

  private async bucketPolicy(bucket: string): Promise<PolicyDocument | null> {
    if (this.policyCache.has(bucket)) return this.policyCache.get(bucket) ?? null;
    let policy: PolicyDocument | null = null;
    try {
      const response = await this.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      policy = response.Policy ? (JSON.parse(response.Policy) as PolicyDocument) : null;
    } catch {
      policy = null;
    }
    this.policyCache.set(bucket, policy);
    return policy;
  }
}

function deny(
  caller: Caller,
  operation: Operation,
  principal: string,
  decision: { reason: "explicit-deny" | "no-allow"; statement?: string },
  requestId: string,
): Denial {
  const why =
    decision.reason === "explicit-deny"
      ? `an explicit deny (${decision.statement ?? "no Sid"}) applies`
      : `no identity-based policy allows the ${operation.action} action`;
  return {
    reply: accessDenied(operation, principal, why, requestId),
    logLine: `${caller.functionName} (role ${caller.roleName}) is missing ${operation.action} on ${operation.resource}: ${why}`,
  };
}
