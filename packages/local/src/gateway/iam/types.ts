/** The policy and request shapes the evaluator works on. */

/** A condition value as JSON carries it: AWS accepts `true`, `false` and `3600` unquoted. */
export type ConditionValue = string | number | boolean;

/** The `Principal` / `NotPrincipal` element of a resource-based policy. */
export type PolicyPrincipal =
  | "*"
  | Readonly<
      Partial<Record<"AWS" | "Service" | "Federated" | "CanonicalUser", string | ReadonlyArray<string>>>
    >;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | ReadonlyArray<string>;
  readonly NotAction?: string | ReadonlyArray<string>;
  readonly Resource?: string | ReadonlyArray<string>;
  readonly NotResource?: string | ReadonlyArray<string>;
  /** Only in resource-based policies, where a statement needs exactly one of the two. */
  readonly Principal?: PolicyPrincipal;
  readonly NotPrincipal?: PolicyPrincipal;
  /** `{ operator: { key: value or values } }`. */
  readonly Condition?: Readonly<
    Record<string, Readonly<Record<string, ConditionValue | ReadonlyArray<ConditionValue>>>>
  >;
}

export interface PolicyDocument {
  /** Only `2012-10-17` turns policy variables on; with `2008-10-17` or none, `${…}` is literal. */
  readonly Version?: string;
  readonly Statement: PolicyStatement | ReadonlyArray<PolicyStatement>;
}

/** A request context value; an array is a multivalued key (for `ForAnyValue:` / `ForAllValues:`). */
export type ContextValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

/** An IAM identity: an IAM user, an assumed-role session, or the account's root user. */
export interface IamPrincipal {
  readonly kind?: "iam";
  /**
   * The ARN the caller signs as: `arn:aws:iam::<acct>:user/<name>`,
   * `arn:aws:sts::<acct>:assumed-role/<role>/<session>` or `arn:aws:iam::<acct>:root`.
   */
  readonly arn: string;
  /** The caller's account id (12 digits). */
  readonly account: string;
  /**
   * For an assumed-role session, the role ARN (`arn:aws:iam::<acct>:role/<path/><role>`): what a role
   * ARN in a Principal element matches and what `aws:PrincipalArn` holds. Derived from a session ARN
   * when left out, which is right for roles without a path.
   */
  readonly roleArn?: string;
  /** `aws:userid`: `AIDA…` for a user, `<role id>:<session>` for a session. */
  readonly userId?: string;
  /** The principal's tags, read as `aws:PrincipalTag/<key>`. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** An AWS service calling with its service principal (rather than with a role session). */
export interface ServicePrincipal {
  readonly kind: "service";
  /** e.g. `logging.s3.amazonaws.com`. */
  readonly service: string;
}

/** An unsigned request. */
export interface AnonymousPrincipal {
  readonly kind: "anonymous";
}

/** Who makes the request. */
export type AuthzPrincipal = IamPrincipal | ServicePrincipal | AnonymousPrincipal;

/** One request to authorise. */
export interface AuthzRequest {
  readonly action: string;
  readonly resource: string;
  /**
   * Condition keys and their values, e.g. `{ "cloudwatch:namespace": "Custom/EC2" }`; key names are
   * case-insensitive, numbers and booleans compare as their JSON text. Keys derived from `principal`
   * (`aws:PrincipalArn`, `aws:username`, …) are added unless given here.
   */
  readonly context: Readonly<Record<string, ContextValue | undefined>>;
  /**
   * The caller. Without it, Principal and NotPrincipal are not checked (every statement names the
   * caller), as before they were supported.
   */
  readonly principal?: AuthzPrincipal;
}

/**
 * The outcome. `unsupported` lists what could not be evaluated (an unknown operator, a malformed
 * value, an invalid statement): such a condition counted as holding in a Deny and not in an Allow.
 */
export type Decision =
  | { readonly allowed: true; readonly statement: string; readonly unsupported?: ReadonlyArray<string> }
  | {
      readonly allowed: false;
      readonly reason: "explicit-deny" | "no-allow";
      readonly statement?: string;
      readonly unsupported?: ReadonlyArray<string>;
    };

/** Three-valued match: `"unknown"` when the evaluator cannot tell (then it fails safe). */
export type Match = boolean | "unknown";

/** Collects what could not be evaluated. */
export type Report = (issue: string) => void;
