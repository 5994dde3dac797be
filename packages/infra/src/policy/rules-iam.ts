/**
 * The baseline's IAM rules: no wildcard actions, least-privilege resources and conditions, and roles
 * trusted only by the service that uses them.
 */

import { NO_RESOURCE_LEVEL_ACTIONS } from "../iam-actions.ts";
import { type Principal, permissionPolicies, readPolicy, sid } from "./iam-documents.ts";
import { type Rule, rule } from "./rule.ts";
import { isSet, reference, shown } from "./stack-json.ts";

/** The services that use a role, by the attribute that names it. */
const ROLE_USERS: ReadonlyArray<{
  readonly type: string;
  readonly attribute: string;
  readonly service: string;
}> = [
  { type: "aws_lambda_function", attribute: "role", service: "lambda.amazonaws.com" },
  { type: "aws_api_gateway_account", attribute: "cloudwatch_role_arn", service: "apigateway.amazonaws.com" },
  { type: "aws_cloudwatch_event_target", attribute: "role_arn", service: "events.amazonaws.com" },
  { type: "aws_sfn_state_machine", attribute: "role_arn", service: "states.amazonaws.com" },
];
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;

const describePrincipals = (ps: Principal[]) =>
  ps.length === 0 ? "no principal" : ps.map((p) => `${p.type} ${p.identifiers.join(", ")}`).join(" and ");

/** The IAM rules, in the order the review lists them. */
export const IAM_RULES: ReadonlyArray<Rule> = [
  rule("CKV_AWS_63", "No wildcard in any allowed IAM action", (stack, found) => {
    for (const { address, policy } of permissionPolicies(stack)) {
      if ("unreadable" in policy) {
        found.add(address, `cannot check its policy: ${policy.unreadable}`);
        continue;
      }
      for (const s of policy.statements.filter((st) => st.effect === "Allow")) {
        const wildcards = s.actions.filter((a) => a.includes("*"));
        if (wildcards.length > 0) found.add(address, `statement ${sid(s)} allows ${wildcards.join(", ")}`);
        if (s.notActions.length > 0) {
          found.add(
            address,
            `statement ${sid(s)} allows every action but ${s.notActions.join(", ")} (NotAction)`,
          );
        }
      }
    }
  }),

  rule(
    "CKV_AWS_355",
    'Resource "*" only for actions that have no resource-level permission',
    (stack, found) => {
      const unrestrictable = new Set<string>(NO_RESOURCE_LEVEL_ACTIONS);
      for (const { address, policy } of permissionPolicies(stack)) {
        if ("unreadable" in policy) {
          found.add(address, `cannot check its policy: ${policy.unreadable}`);
          continue;
        }
        for (const s of policy.statements.filter((st) => st.effect === "Allow")) {
          const restrictable = s.actions.filter((a) => !unrestrictable.has(a));
          if (s.resources.includes("*") && (restrictable.length > 0 || s.notActions.length > 0)) {
            const what = restrictable.length > 0 ? restrictable.join(", ") : "NotAction";
            found.add(address, `statement ${sid(s)} allows ${what} on Resource "*"`);
          }
          if (s.notResources.length > 0) {
            found.add(
              address,
              `statement ${sid(s)} allows every resource but ${s.notResources.join(", ")} (NotResource)`,
            );
          }
        }
      }
    },
  ),

  rule(
    "CKV_AWS_364",
    "Lambda permissions are scoped to a source ARN (and S3's to the account too)",
    (stack, found) => {
      for (const p of stack.all("aws_lambda_permission")) {
        const arn = p.body.source_arn;
        if (!isSet(arn) || arn === "*") {
          found.add(
            p.address,
            `source_arn is ${shown(arn)}: any ${String(p.body.principal)} resource, in any account, may invoke the function`,
          );
        }
        if (p.body.principal === "s3.amazonaws.com" && !isSet(p.body.source_account)) {
          found.add(
            p.address,
            "no source_account: an S3 bucket's ARN names no account, and a bucket name can be taken over",
          );
        }
      }
    },
  ),

  rule("LF_TRUSTED_SERVICE", "Roles are trusted only by their service", (stack, found) => {
    for (const role of stack.all("aws_iam_role")) {
      const policy = readPolicy(stack, role.body.assume_role_policy);
      if ("unreadable" in policy) {
        found.add(role.address, `cannot check its trust policy: ${policy.unreadable}`);
        continue;
      }
      const allows = policy.statements.filter((s) => s.effect === "Allow");
      if (allows.length === 0) found.add(role.address, "its trust policy allows nobody");
      const trusted: string[] = [];
      for (const s of allows) {
        if (s.actions.length !== 1 || s.actions[0] !== "sts:AssumeRole" || s.notActions.length > 0) {
          const actions =
            s.notActions.length > 0 ? `every action but ${s.notActions.join(", ")}` : s.actions.join(", ");
          found.add(
            role.address,
            `trust statement ${sid(s)} allows ${actions || "no action"}, not only sts:AssumeRole`,
          );
        }
        const [principal, ...more] = s.principals;
        const service = principal?.identifiers.length === 1 ? principal.identifiers[0] : undefined;
        if (
          more.length > 0 ||
          s.notPrincipals.length > 0 ||
          principal?.type !== "Service" ||
          !service ||
          !SERVICE_PRINCIPAL.test(service)
        ) {
          const who =
            s.notPrincipals.length > 0
              ? "every principal but some (NotPrincipal)"
              : describePrincipals(s.principals);
          found.add(role.address, `trust statement ${sid(s)} trusts ${who}, not one AWS service`);
        } else {
          trusted.push(service);
        }
      }
      for (const use of ROLE_USERS) {
        for (const user of stack.all(use.type)) {
          const ref = reference(user.body[use.attribute]);
          if (ref?.type !== "aws_iam_role" || ref.id !== role.id) continue;
          for (const service of trusted.filter((t) => t !== use.service)) {
            found.add(
              role.address,
              `trusted by ${service}, but it is the role of ${user.address} (${use.service})`,
            );
          }
        }
      }
    }
  }),
];
