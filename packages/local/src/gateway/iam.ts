/**
 * The local gateway's IAM policy evaluator, for one account: identity-based policies plus one
 * resource-based policy, explicit deny winning. It implements what AWS documents for that case:
 * Action / NotAction, Resource / NotResource with `*` and `?` wildcards, Principal / NotPrincipal
 * (account, user, role and its sessions, session, service, anonymous), every condition operator
 * with `…IfExists` and the `ForAnyValue:` / `ForAllValues:` set operators, and policy variables
 * (`${aws:username}`, `${key, 'default'}`, `${*}` …) under Version 2012-10-17. What it cannot
 * evaluate counts as holding in a Deny and not in an Allow, and is listed in `Decision.unsupported`.
 *
 * We wrote our own because moto's check ignores Resource and Condition, and the well-known JS
 * evaluator is AGPL, incompatible with our MIT licence; it has no dependencies. The cases it is tested
 * against, each citing the AWS page it comes from, are in test/unit/gateway/iam-cases.test.ts.
 */

export { evaluate } from "./iam/evaluate.ts";
export type {
  AnonymousPrincipal,
  AuthzPrincipal,
  AuthzRequest,
  ConditionValue,
  ContextValue,
  Decision,
  IamPrincipal,
  PolicyDocument,
  PolicyPrincipal,
  PolicyStatement,
  ServicePrincipal,
} from "./iam/types.ts";
export { wildcardMatch } from "./iam/wildcard.ts";
