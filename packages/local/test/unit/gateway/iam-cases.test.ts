// biome-ignore-all lint/suspicious/noTemplateCurlyInString: policy variables are written `${…}` in policies
import { expect } from "chai";
import {
  type AuthzPrincipal,
  type AuthzRequest,
  evaluate,
  type IamPrincipal,
  type PolicyDocument,
  type PolicyStatement,
} from "../../../src/gateway/iam.ts";

/**
 * The evaluator against AWS's documented behaviour: each case is a row of the research file
 * (ids E, N, P, W, C, S, V, M as there; a letter suffix when a row has several requests), with the
 * AWS page and section it rests on. U cases check how it fails safe on what it cannot evaluate.
 */

const IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/";
const S3 = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/";
const page =
  (base: string, name: string) =>
  (anchor = name) =>
    `${base}${name}.html#${anchor}`;
const INTERPLAY = page(IAM, "reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay");
const BASICS = page(IAM, "reference_policies_evaluation-logic_policy-eval-basics");
const DENYALLOW = page(IAM, "reference_policies_evaluation-logic_policy-eval-denyallow");
const EVAL = page(IAM, "reference_policies_evaluation-logic");
const OPS = page(IAM, "reference_policies_elements_condition_operators");
const COND = page(IAM, "reference_policies_elements_condition");
const MULTI = page(IAM, "reference_policies_condition-logic-multiple-context-keys-or-values");
const SVMV = page(IAM, "reference_policies_condition-single-vs-multi-valued-context-keys");
const MVEX = page(IAM, "reference_policies_condition_examples-multi-valued-context-keys");
const MV2023 = page(IAM, "reference_policies_multi-value-conditions");
const VARS = page(IAM, "reference_policies_variables");
const PRIN = page(IAM, "reference_policies_elements_principal");
const NOTPRIN = page(IAM, "reference_policies_elements_notprincipal");
const ACTION = page(IAM, "reference_policies_elements_action");
const NOTACTION = page(IAM, "reference_policies_elements_notaction");
const RES = page(IAM, "reference_policies_elements_resource");
const NOTRES = page(IAM, "reference_policies_elements_notresource");
const VERSION = page(IAM, "reference_policies_elements_version");
const EFFECT = page(IAM, "reference_policies_elements_effect");
const GRAMMAR = page(IAM, "reference_policies_grammar");
const KEYS = page(IAM, "reference_policies_condition-keys");
const EX_MFADATES = page(IAM, "reference_policies_examples_aws_mfa-dates");
const EX_DATES = page(IAM, "reference_policies_examples_aws-dates");
const EX_EC2MFA = page(IAM, "reference_policies_examples_ec2_require-mfa");
const EX_FEDHOME = page(IAM, "reference_policies_examples_s3_federated-home-directory-console");
const EX_DP = page(IAM, "reference_policies_examples_datapipeline_not-owned");
const S3EX = page(S3, "example-bucket-policies");
const S3PRIN = page(S3, "s3-bucket-user-policy-specifying-principal-intro");

const ACCOUNT = "123456789012";
const user = (name: string): IamPrincipal => ({
  arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
  account: ACCOUNT,
});
const alice = user("alice");
const bob = user("bob");
const Bob = user("Bob");
const APP_ROLE = `arn:aws:iam::${ACCOUNT}:role/AppRole`;
const session = (name: string): IamPrincipal => ({
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AppRole/${name}`,
  account: ACCOUNT,
  roleArn: APP_ROLE,
});
const s1 = session("s1");
const s2 = session("s2");
const root: IamPrincipal = { arn: `arn:aws:iam::${ACCOUNT}:root`, account: ACCOUNT };
const anon: AuthzPrincipal = { kind: "anonymous" };
const service = (name: string): AuthzPrincipal => ({ kind: "service", service: name });

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
const allow = (Action: string | string[], Resource: string | string[] = "*"): PolicyStatement => ({
  Effect: "Allow",
  Action,
  Resource,
});
const BKT = "arn:aws:s3:::bkt";

type Outcome = "Allow" | "Deny (explicit)" | "Deny (implicit)";

interface Case {
  readonly id: string;
  readonly rule: string;
  /** The AWS documentation page and section the expectation rests on. */
  readonly doc: string;
  readonly identity?: ReadonlyArray<PolicyDocument>;
  readonly resourcePolicy?: PolicyDocument;
  readonly request: {
    readonly action: string;
    readonly resource: string;
    readonly principal?: AuthzPrincipal;
    readonly context?: AuthzRequest["context"];
  };
  readonly expected: Outcome;
  /** What `Decision.unsupported` must mention; without it, nothing may be reported. */
  readonly unsupported?: RegExp;
}

const get = (resource: string, principal?: AuthzPrincipal, context: AuthzRequest["context"] = {}) => ({
  action: "s3:GetObject",
  resource,
  principal,
  context,
});

// §1 Evaluation logic within one account
const iamReports = doc(
  { Sid: "AllowGetList", Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: "*" },
  { Sid: "DenyReports", Effect: "Deny", Action: "iam:*Report", Resource: "*" },
);
const carlos = user("carlossalazar");
const carlosPolicy = doc(allow("s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]), {
  Sid: "DenyS3Logs",
  Effect: "Deny",
  Action: "s3:*",
  Resource: "arn:aws:s3:::*log*",
});
const rpFor = (principal: string, Effect: "Allow" | "Deny" = "Allow", Action = "s3:GetObject") =>
  doc({ Effect, Principal: { AWS: principal }, Action, Resource: `${BKT}/*` });
const notActionS3 = doc({ Effect: "Allow", NotAction: "s3:DeleteBucket", Resource: "arn:aws:s3:::*" });
const notActionIam = doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" });
const mfaOrIam = doc(allow("*"), {
  Sid: "DenyAllUsersNotUsingMFA",
  Effect: "Deny",
  NotAction: "iam:*",
  Resource: "*",
  Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } },
});
const payrollDeny: PolicyStatement = {
  Effect: "Deny",
  Action: "s3:*",
  NotResource: ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
};

const evaluation: Case[] = [
  {
    id: "E01",
    rule: "default deny",
    doc: INTERPLAY(),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "E02",
    rule: "an identity-based Allow",
    doc: INTERPLAY(),
    identity: [iamReports],
    request: { action: "iam:GetUser", resource: "*", principal: alice },
    expected: "Allow",
  },
  {
    id: "E03",
    rule: "an action no Allow covers",
    doc: INTERPLAY(),
    identity: [iamReports],
    request: { action: "iam:CreatePolicy", resource: "*", principal: alice },
    expected: "Deny (implicit)",
  },
  {
    id: "E04",
    rule: "explicit Deny wins over Allow",
    doc: INTERPLAY(),
    identity: [iamReports],
    request: { action: "iam:GetOrganizationsAccessReport", resource: "*", principal: alice },
    expected: "Deny (explicit)",
  },
  {
    id: "E05",
    rule: "a Deny in the ID beats everything",
    doc: BASICS(),
    identity: [carlosPolicy],
    request: { action: "s3:PutObject", resource: "arn:aws:s3:::carlossalazar-logs/f.txt", principal: carlos },
    expected: "Deny (explicit)",
  },
  {
    id: "E06",
    rule: "ID and RP both allow",
    doc: BASICS(),
    identity: [carlosPolicy],
    resourcePolicy: doc({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/carlossalazar` },
      Action: "s3:*",
      Resource: ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
    }),
    request: { action: "s3:PutObject", resource: "arn:aws:s3:::carlossalazar/f.txt", principal: carlos },
    expected: "Allow",
  },
  {
    id: "E07",
    rule: "the RP alone allows a same-account user it names",
    doc: BASICS(),
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:user/alice`),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Allow",
  },
  {
    id: "E08",
    rule: "a Deny in the RP overrides an ID Allow",
    doc: EVAL("policy-eval-basics-id-rdp"),
    identity: [doc(allow("s3:*"))],
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:user/alice`, "Deny", "s3:DeleteObject"),
    request: { action: "s3:DeleteObject", resource: `${BKT}/a.txt`, principal: alice },
    expected: "Deny (explicit)",
  },
  {
    id: "E09",
    rule: "the account root user has full access",
    doc: DENYALLOW(),
    request: get(`${BKT}/a.txt`, root),
    expected: "Allow",
  },
  {
    id: "E09b",
    rule: "a Deny naming the account still applies to root (A14, derived)",
    doc: DENYALLOW(),
    resourcePolicy: rpFor(ACCOUNT, "Deny"),
    request: get(`${BKT}/a.txt`, root),
    expected: "Deny (explicit)",
  },
  {
    id: "E10",
    rule: "a role ARN in Principal covers the role's sessions",
    doc: DENYALLOW(),
    resourcePolicy: rpFor(APP_ROLE),
    request: get(`${BKT}/a.txt`, s1),
    expected: "Allow",
  },
  {
    id: "E10b",
    rule: "the role ARN is derived from the session ARN when not given",
    doc: DENYALLOW(),
    resourcePolicy: rpFor(APP_ROLE),
    request: get(`${BKT}/a.txt`, {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AppRole/s9`,
      account: ACCOUNT,
    }),
    expected: "Allow",
  },
  {
    id: "E11",
    rule: "a session ARN in Principal",
    doc: DENYALLOW(),
    resourcePolicy: rpFor(`arn:aws:sts::${ACCOUNT}:assumed-role/AppRole/s1`),
    request: get(`${BKT}/a.txt`, s1),
    expected: "Allow",
  },
  {
    id: "E12",
    rule: "a session ARN matches only that session",
    doc: PRIN("principal-role-session"),
    resourcePolicy: rpFor(`arn:aws:sts::${ACCOUNT}:assumed-role/AppRole/s1`),
    request: get(`${BKT}/a.txt`, s2),
    expected: "Deny (implicit)",
  },
  {
    id: "N01",
    rule: "NotAction with Allow covers other actions",
    doc: NOTACTION(),
    identity: [notActionS3],
    request: get(`${BKT}/a.txt`),
    expected: "Allow",
  },
  {
    id: "N02",
    rule: "the excluded action is not allowed",
    doc: NOTACTION(),
    identity: [notActionS3],
    request: { action: "s3:DeleteBucket", resource: BKT },
    expected: "Deny (implicit)",
  },
  {
    id: "N03",
    rule: "NotAction stays scoped by Resource",
    doc: NOTACTION(),
    identity: [notActionS3],
    request: { action: "s3:ListAllMyBuckets", resource: "*" },
    expected: "Deny (implicit)",
  },
  {
    id: "N04",
    rule: "NotAction stays scoped by Resource (other services)",
    doc: NOTACTION(),
    identity: [notActionS3],
    request: { action: "ec2:StartInstances", resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1` },
    expected: "Deny (implicit)",
  },
  {
    id: "N05",
    rule: "NotAction with Resource *",
    doc: NOTACTION(),
    identity: [notActionIam],
    request: { action: "ec2:RunInstances", resource: "*" },
    expected: "Allow",
  },
  {
    id: "N06",
    rule: "NotAction: the excluded service",
    doc: NOTACTION(),
    identity: [notActionIam],
    request: { action: "iam:CreateUser", resource: "*" },
    expected: "Deny (implicit)",
  },
  {
    id: "N07",
    rule: "NotAction Deny with BoolIfExists, key absent",
    doc: OPS("Conditions_IfExists"),
    identity: [mfaOrIam],
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (explicit)",
  },
  {
    id: "N08",
    rule: "NotAction Deny: the listed action is not denied",
    doc: NOTACTION(),
    identity: [mfaOrIam],
    request: { action: "iam:ListUsers", resource: "*", principal: alice },
    expected: "Allow",
  },
  {
    id: "N09",
    rule: "NotAction Deny: condition false",
    doc: NOTACTION(),
    identity: [mfaOrIam],
    request: get(`${BKT}/a.txt`, alice, { "aws:MultiFactorAuthPresent": true }),
    expected: "Allow",
  },
  {
    id: "N10",
    rule: "NotResource with Deny",
    doc: NOTRES(),
    identity: [doc(allow("*"), payrollDeny)],
    request: get("arn:aws:s3:::HRBucket/Other/x"),
    expected: "Deny (explicit)",
  },
  {
    id: "N11",
    rule: "NotResource: the listed resource is not denied",
    doc: NOTRES(),
    identity: [doc(allow("*"), payrollDeny)],
    request: get("arn:aws:s3:::HRBucket/Payroll/jan.csv"),
    expected: "Allow",
  },
  {
    id: "N12",
    rule: "a NotResource Deny is scoped by its Action",
    doc: NOTRES(),
    identity: [doc(allow("*"), payrollDeny)],
    request: { action: "ec2:DescribeInstances", resource: "*" },
    expected: "Allow",
  },
  {
    id: "N13",
    rule: "a NotResource Deny grants nothing",
    doc: NOTRES(),
    identity: [doc(payrollDeny)],
    request: get("arn:aws:s3:::HRBucket/Payroll/jan.csv"),
    expected: "Deny (implicit)",
  },
];

// §2 Principal and NotPrincipal
const publicRead = doc({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${BKT}/*` });
const anyAws = doc({
  Effect: "Allow",
  Principal: { AWS: "*" },
  Action: "s3:GetObject",
  Resource: `${BKT}/*`,
});
const bucketBoth = [BKT, `${BKT}/*`];
const notPrincipal = (...arns: string[]) =>
  doc({ Effect: "Deny", NotPrincipal: { AWS: arns }, Action: "s3:*", Resource: bucketBoth });
const s3All = doc(allow("s3:*"));
const exceptAppRole = doc({
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: bucketBoth,
  Condition: { ArnNotEquals: { "aws:PrincipalArn": APP_ROLE } },
});

const principals: Case[] = [
  {
    id: "P01",
    rule: `"Principal": "*" grants a same-account user`,
    doc: PRIN("principal-anonymous"),
    resourcePolicy: publicRead,
    request: get(`${BKT}/a.txt`, alice),
    expected: "Allow",
  },
  {
    id: "P02",
    rule: `"Principal": "*" grants anonymous callers`,
    doc: S3PRIN("s3-anonymous-permissions"),
    resourcePolicy: publicRead,
    request: get(`${BKT}/a.txt`, anon),
    expected: "Allow",
  },
  {
    id: "P03",
    rule: `{"AWS": "*"} grants a signed principal`,
    doc: S3PRIN("s3-anonymous-permissions"),
    resourcePolicy: anyAws,
    request: get(`${BKT}/a.txt`, s1),
    expected: "Allow",
  },
  {
    id: "P04",
    rule: `{"AWS": "*"} equals "*" for anonymous users (A1)`,
    doc: PRIN("principal-anonymous"),
    resourcePolicy: anyAws,
    request: get(`${BKT}/a.txt`, anon),
    expected: "Allow",
  },
  {
    id: "P05",
    rule: "an account principal delegates to the account, not to alice (A2)",
    doc: PRIN("principal-accounts"),
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:root`),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "P06",
    rule: "account principal plus an ID Allow",
    doc: PRIN("principal-accounts"),
    identity: [doc(allow("s3:GetObject", `${BKT}/*`))],
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:root`),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Allow",
  },
  {
    id: "P07",
    rule: "the bare account id behaves as the root ARN (A2)",
    doc: PRIN("principal-accounts"),
    resourcePolicy: rpFor(ACCOUNT),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "P08",
    rule: "a Deny to the account applies to every identity in it",
    doc: PRIN("principal-accounts"),
    identity: [s3All],
    resourcePolicy: rpFor(ACCOUNT, "Deny", "s3:DeleteObject"),
    request: { action: "s3:DeleteObject", resource: `${BKT}/a.txt`, principal: alice },
    expected: "Deny (explicit)",
  },
  {
    id: "P09",
    rule: "another principal's Allow does not grant",
    doc: PRIN(),
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:user/alice`),
    request: get(`${BKT}/a.txt`, bob),
    expected: "Deny (implicit)",
  },
  {
    id: "P09b",
    rule: "another principal's Deny does not deny (derived)",
    doc: PRIN(),
    identity: [s3All],
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:user/bob`, "Deny"),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Allow",
  },
  {
    id: "P10",
    rule: "the user name in a Principal ARN is case-sensitive",
    doc: PRIN("principal-users"),
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:user/Alice`),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "P11",
    rule: "several principals are OR-ed",
    doc: PRIN("Principal_specifying"),
    resourcePolicy: doc({
      Effect: "Allow",
      Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:user/bob`] },
      Action: "s3:GetObject",
      Resource: `${BKT}/*`,
    }),
    request: get(`${BKT}/a.txt`, bob),
    expected: "Allow",
  },
  {
    id: "P12",
    rule: "a service principal does not match an IAM caller",
    doc: PRIN("principal-services"),
    resourcePolicy: doc({
      Effect: "Allow",
      Principal: { Service: "lambda.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${BKT}/*`,
    }),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "P13",
    rule: "a service principal matches that service",
    doc: S3EX("example-bucket-policies-global-condition-keys-1"),
    resourcePolicy: doc({
      Effect: "Allow",
      Principal: { Service: "lambda.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${BKT}/*`,
    }),
    request: get(`${BKT}/a.txt`, service("lambda.amazonaws.com")),
    expected: "Allow",
  },
  {
    id: "P14",
    rule: "no partial wildcards in Principal",
    doc: PRIN("principal-users"),
    resourcePolicy: rpFor(`arn:aws:iam::${ACCOUNT}:user/*`),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
    unsupported: /partial wildcard/,
  },
  {
    id: "P15",
    rule: "no session wildcard in Principal",
    doc: PRIN("principal-role-session"),
    resourcePolicy: rpFor(`arn:aws:sts::${ACCOUNT}:assumed-role/AppRole/*`),
    request: get(`${BKT}/a.txt`, s1),
    expected: "Deny (implicit)",
    unsupported: /partial wildcard/,
  },
  {
    id: "P16",
    rule: "NotPrincipal + Deny denies everyone else",
    doc: NOTPRIN("specifying-notprincipal"),
    identity: [s3All],
    resourcePolicy: notPrincipal(`arn:aws:iam::${ACCOUNT}:user/Bob`, `arn:aws:iam::${ACCOUNT}:root`),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (explicit)",
  },
  {
    id: "P17",
    rule: "NotPrincipal leaves the listed principal undenied",
    doc: NOTPRIN("specifying-notprincipal"),
    identity: [s3All],
    resourcePolicy: notPrincipal(`arn:aws:iam::${ACCOUNT}:user/Bob`, `arn:aws:iam::${ACCOUNT}:root`),
    request: get(`${BKT}/a.txt`, Bob),
    expected: "Allow",
  },
  {
    id: "P18",
    rule: "NotPrincipal without the account ARN denies (A9: strict chain)",
    doc: NOTPRIN("specifying-notprincipal"),
    identity: [s3All],
    resourcePolicy: notPrincipal(`arn:aws:iam::${ACCOUNT}:user/Bob`),
    request: get(`${BKT}/a.txt`, Bob),
    expected: "Deny (explicit)",
  },
  {
    id: "P19",
    rule: "NotPrincipal with session, role and account",
    doc: NOTPRIN("specifying-notprincipal"),
    identity: [s3All],
    resourcePolicy: notPrincipal(
      `arn:aws:sts::${ACCOUNT}:assumed-role/AppRole/s1`,
      APP_ROLE,
      `arn:aws:iam::${ACCOUNT}:root`,
    ),
    request: get(`${BKT}/a.txt`, s1),
    expected: "Allow",
  },
  {
    id: "P20",
    rule: "NotPrincipal: another session of the same role is denied",
    doc: NOTPRIN("specifying-notprincipal"),
    identity: [s3All],
    resourcePolicy: notPrincipal(
      `arn:aws:sts::${ACCOUNT}:assumed-role/AppRole/s1`,
      APP_ROLE,
      `arn:aws:iam::${ACCOUNT}:root`,
    ),
    request: get(`${BKT}/a.txt`, s2),
    expected: "Deny (explicit)",
  },
  {
    id: "P21",
    rule: "NotPrincipal with Allow is invalid",
    doc: NOTPRIN("specifying-notprincipal-allow"),
    resourcePolicy: doc({
      Effect: "Allow",
      NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/Bob` },
      Action: "s3:*",
      Resource: "*",
    }),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
    unsupported: /NotPrincipal with Allow/,
  },
  {
    id: "P22",
    rule: "Principal in an identity-based policy is invalid",
    doc: PRIN(),
    identity: [doc({ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" })],
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
    unsupported: /identity-based policy/,
  },
  {
    id: "P22b",
    rule: "a resource-policy statement without Principal is invalid (derived)",
    doc: PRIN(),
    resourcePolicy: doc(allow("s3:GetObject", `${BKT}/*`)),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (implicit)",
    unsupported: /Principal, NotPrincipal/,
  },
  {
    id: "P23",
    rule: "Deny * unless aws:PrincipalArn is the role: its session passes",
    doc: KEYS("condition-keys-principalarn"),
    identity: [s3All],
    resourcePolicy: exceptAppRole,
    request: get(`${BKT}/a.txt`, s1),
    expected: "Allow",
  },
  {
    id: "P24",
    rule: "Deny * unless aws:PrincipalArn is the role: another caller",
    doc: PRIN("principal-anonymous"),
    identity: [s3All],
    resourcePolicy: exceptAppRole,
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (explicit)",
  },
];

// §3 Wildcards
const byTopic = (value: string): PolicyDocument =>
  doc({
    Effect: "Allow",
    Principal: { Service: "sns.amazonaws.com" },
    Action: "SQS:SendMessage",
    Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:Q`,
    Condition: { ArnEquals: { "aws:SourceArn": value } },
  });
const sendBySns = (sourceArn: string) => ({
  action: "sqs:SendMessage",
  resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:Q`,
  principal: service("sns.amazonaws.com"),
  context: { "aws:SourceArn": sourceArn },
});
const financeArn = (operator: "ArnLike" | "StringLike") =>
  doc({
    Effect: "Allow",
    Action: "someservice:Act",
    Resource: "*",
    Condition: { [operator]: { "aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*" } },
  });
const storeArn = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
const testObjects = doc(allow("s3:GetObject", `${BKT}/*/test/*`));

const wildcards: Case[] = [
  {
    id: "W01",
    rule: "Action matching is case-insensitive",
    doc: ACTION(),
    identity: [doc(allow("IAM:listaccesskeys"))],
    request: { action: "iam:ListAccessKeys", resource: "*" },
    expected: "Allow",
  },
  {
    id: "W02",
    rule: "* inside an action name",
    doc: ACTION(),
    identity: [doc(allow("iam:*AccessKey*"))],
    request: { action: "iam:UpdateAccessKey", resource: "*" },
    expected: "Allow",
  },
  {
    id: "W03",
    rule: "* inside an action name, no match",
    doc: ACTION(),
    identity: [doc(allow("iam:*AccessKey*"))],
    request: { action: "iam:GetUser", resource: "*" },
    expected: "Deny (implicit)",
  },
  {
    id: "W04",
    rule: "? in an action name (A13)",
    doc: ACTION(),
    identity: [doc(allow("s3:Get?bject"))],
    request: get("*"),
    expected: "Allow",
  },
  {
    id: "W04b",
    rule: "? matches exactly one character",
    doc: ACTION(),
    identity: [doc(allow("s3:Get?bject"))],
    request: { action: "s3:GetXXbject", resource: "*" },
    expected: "Deny (implicit)",
  },
  {
    id: "W05",
    rule: "Resource matching is case-sensitive (A7)",
    doc: RES(),
    identity: [doc(allow("iam:GetUser", `arn:aws:iam::${ACCOUNT}:user/Bob`))],
    request: { action: "iam:GetUser", resource: `arn:aws:iam::${ACCOUNT}:user/bob` },
    expected: "Deny (implicit)",
  },
  {
    id: "W06",
    rule: "* in Resource matches across /",
    doc: RES("reference_policies_elements_resource_wildcards"),
    identity: [testObjects],
    request: get(`${BKT}/1///test///object.jpg`),
    expected: "Allow",
  },
  {
    id: "W07",
    rule: "* in Resource matches the empty string",
    doc: RES("reference_policies_elements_resource_wildcards"),
    identity: [testObjects],
    request: get(`${BKT}//test/object.jpg`),
    expected: "Allow",
  },
  {
    id: "W08",
    rule: "* in Resource: a non-matching object",
    doc: RES("reference_policies_elements_resource_wildcards"),
    identity: [testObjects],
    request: get(`${BKT}/1/2/test.jpg`),
    expected: "Deny (implicit)",
  },
  {
    id: "W09",
    rule: "in Resource a segment-final * may cross colons (A3)",
    doc: RES("reference_policies_elements_resource_wildcards"),
    identity: [doc(allow("sqs:SendMessage", "arn:aws:sqs:us-east-2:*"))],
    request: { action: "sqs:SendMessage", resource: `arn:aws:sqs:us-east-2:${ACCOUNT}:queue1` },
    expected: "Allow",
  },
  {
    id: "W10",
    rule: "no wildcard in the service segment",
    doc: RES("reference_policies_elements_resource_wildcards"),
    identity: [doc(allow("*", `arn:aws:*:us-east-2:${ACCOUNT}:queue1`))],
    request: { action: "sqs:SendMessage", resource: `arn:aws:sqs:us-east-2:${ACCOUNT}:queue1` },
    expected: "Deny (implicit)",
    unsupported: /service segment/,
  },
  {
    id: "W11",
    rule: "ArnLike checks each ARN component separately",
    doc: OPS("Conditions_ARN"),
    identity: [financeArn("ArnLike")],
    request: { action: "someservice:Act", resource: "*", context: { "aws:SourceArn": storeArn } },
    expected: "Deny (implicit)",
  },
  {
    id: "W12",
    rule: "StringLike on the same pair matches",
    doc: OPS("Conditions_ARN"),
    identity: [financeArn("StringLike")],
    request: { action: "someservice:Act", resource: "*", context: { "aws:SourceArn": storeArn } },
    expected: "Allow",
  },
  {
    id: "W13",
    rule: "ArnEquals accepts wildcards (A8)",
    doc: OPS("Conditions_ARN"),
    resourcePolicy: byTopic(`arn:aws:sns:us-east-1:${ACCOUNT}:*`),
    request: sendBySns(`arn:aws:sns:us-east-1:${ACCOUNT}:TOPIC-ID`),
    expected: "Allow",
  },
  {
    id: "W14",
    rule: "ARN operators are case-sensitive",
    doc: OPS("Conditions_ARN"),
    resourcePolicy: byTopic(`arn:aws:sns:us-east-1:${ACCOUNT}:TOPIC-ID`),
    request: sendBySns(`arn:aws:sns:us-east-1:${ACCOUNT}:topic-id`),
    expected: "Deny (implicit)",
  },
  {
    id: "W15",
    rule: "ArnEquals with another account",
    doc: OPS("Conditions_ARN"),
    resourcePolicy: byTopic(`arn:aws:sns:us-west-2:${ACCOUNT}:TOPIC-ID`),
    request: sendBySns("arn:aws:sns:us-west-2:777788889999:TOPIC-ID"),
    expected: "Deny (implicit)",
  },
  {
    id: "W16",
    rule: "ArnEquals with the key absent is false",
    doc: OPS("Conditions_ARN"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": `arn:aws:sns:us-east-1:${ACCOUNT}:TOPIC-ID` } },
      }),
    ],
    request: { action: "sqs:SendMessage", resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:Q`, principal: alice },
    expected: "Deny (implicit)",
  },
];

// §4 Condition operators
const listIf = (Condition: PolicyStatement["Condition"], Resource = BKT): PolicyDocument =>
  doc({ Effect: "Allow", Action: "s3:ListBucket", Resource, Condition });
const list = (context: AuthzRequest["context"], principal?: AuthzPrincipal) => ({
  action: "s3:ListBucket",
  resource: BKT,
  principal,
  context,
});
const denyIf = (Condition: PolicyStatement["Condition"], Action = "s3:*"): PolicyDocument =>
  doc(allow("*"), { Effect: "Deny", Action, Resource: "*", Condition });
const accessKeysIf = (Condition: PolicyStatement["Condition"]) =>
  doc({ Effect: "Allow", Action: "iam:*AccessKey*", Resource: `arn:aws:iam::${ACCOUNT}:user/*`, Condition });
const createKey = (context: AuthzRequest["context"] = {}) => ({
  action: "iam:CreateAccessKey",
  resource: `arn:aws:iam::${ACCOUNT}:user/alice`,
  context,
});
const teams = listIf({
  StringEquals: {
    "aws:PrincipalTag/department": ["finance", "hr", "legal"],
    "aws:PrincipalTag/role": ["audit", "security"],
  },
  ArnLike: {
    "aws:PrincipalArn": ["arn:aws:iam::222222222222:user/Ana", "arn:aws:iam::222222222222:user/Mary"],
  },
});
const teamsNot = listIf({
  StringEquals: {
    "aws:PrincipalTag/department": ["finance", "hr", "legal"],
    "aws:PrincipalTag/role": ["audit", "security"],
  },
  ArnNotLike: {
    "aws:PrincipalArn": ["arn:aws:iam::222222222222:user/Ana", "arn:aws:iam::222222222222:user/Mary"],
  },
});
const tags = (department: string | undefined, role: string | undefined, name: string) => ({
  "aws:PrincipalTag/department": department,
  "aws:PrincipalTag/role": role,
  "aws:PrincipalArn": `arn:aws:iam::222222222222:user/${name}`,
});
const taxDocuments = doc(
  {
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: `${BKT}/taxdocuments/*`,
    Condition: { Null: { "aws:MultiFactorAuthAge": true } },
  },
  {
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: `${BKT}/taxdocuments/*`,
    Condition: { NumericGreaterThan: { "aws:MultiFactorAuthAge": 3600 } },
  },
  { Effect: "Allow", Principal: "*", Action: ["s3:GetObject"], Resource: `${BKT}/*` },
);
const window = doc({
  Effect: "Allow",
  Action: "svc:Act",
  Resource: "*",
  Condition: {
    DateGreaterThan: { "aws:CurrentTime": "2020-04-01T00:00:00Z" },
    DateLessThan: { "aws:CurrentTime": "2020-06-30T23:59:59Z" },
  },
});
const at = (time: string | number, key = "aws:CurrentTime") => ({
  action: "svc:Act",
  resource: "*",
  context: { [key]: time },
});
const tlsOnly = doc({
  Sid: "RestrictToTLSRequestsOnly",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: bucketBoth,
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});
const stopWithMfa = (operator: "Bool" | "BoolIfExists") =>
  doc(allow("ec2:*"), {
    Effect: "Deny",
    Action: ["ec2:StopInstances"],
    Resource: "*",
    Condition: { [operator]: { "aws:MultiFactorAuthPresent": false } },
  });
const mfaDates = doc({
  Effect: "Allow",
  Action: "svc:*",
  Resource: "*",
  Condition: {
    Bool: { "aws:MultiFactorAuthPresent": true },
    DateGreaterThan: { "aws:CurrentTime": "2017-07-01T00:00:00Z" },
    DateLessThan: { "aws:CurrentTime": "2017-12-31T23:59:59Z" },
  },
});
const binary = doc({
  Effect: "Allow",
  Action: "svc:Act",
  Resource: "*",
  Condition: { BinaryEquals: { key: "QmluYXJ5VmFsdWVJbkJhc2U2NA==" } },
});
const ipMix = doc({
  Sid: "AllowIPmix",
  Effect: "Allow",
  Principal: "*",
  Action: "s3:*",
  Resource: bucketBoth,
  Condition: {
    IpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"] },
    NotIpAddress: { "aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678:ABCD::/80"] },
  },
});
const fromIp = (ip: string) => get(`${BKT}/a.txt`, anon, { "aws:SourceIp": ip });
const instanceTypes = doc({
  Effect: "Allow",
  Action: "ec2:RunInstances",
  Resource: "*",
  Condition: { StringLikeIfExists: { "ec2:InstanceType": ["t1.*", "t2.*", "m3.*"] } },
});
const run = (context: AuthzRequest["context"]) => ({ action: "ec2:RunInstances", resource: "*", context });

const conditions: Case[] = [
  {
    id: "C01",
    rule: "StringEquals is case-sensitive",
    doc: COND(),
    identity: [listIf({ StringEquals: { "aws:username": "johndoe" } })],
    request: list({}, user("JohnDoe")),
    expected: "Deny (implicit)",
  },
  {
    id: "C02",
    rule: "StringEqualsIgnoreCase",
    doc: COND(),
    identity: [listIf({ StringEqualsIgnoreCase: { "aws:username": "johndoe" } })],
    request: list({}, user("JohnDoe")),
    expected: "Allow",
  },
  {
    id: "C03",
    rule: "a positive operator with the key absent is false",
    doc: OPS("Conditions_String"),
    identity: [accessKeysIf({ StringEquals: { "aws:PrincipalTag/job-category": "iamuser-admin" } })],
    request: createKey(),
    expected: "Deny (implicit)",
  },
  {
    id: "C04",
    rule: "StringEquals does no wildcard matching",
    doc: OPS("Conditions_String"),
    identity: [listIf({ StringEquals: { "s3:prefix": "home/*" } })],
    request: list({ "s3:prefix": "home/alice/" }),
    expected: "Deny (implicit)",
  },
  {
    id: "C04b",
    rule: "StringLike does (derived)",
    doc: OPS("Conditions_String"),
    identity: [listIf({ StringLike: { "s3:prefix": "home/*" } })],
    request: list({ "s3:prefix": "home/alice/" }),
    expected: "Allow",
  },
  {
    id: "C05",
    rule: "a negated operator with the key absent is true",
    doc: OPS("Conditions_String"),
    identity: [denyIf({ StringNotEquals: { "aws:PrincipalTag/dept": "hr" } })],
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (explicit)",
  },
  {
    id: "C06",
    rule: "StringNotEqualsIgnoreCase",
    doc: OPS("Conditions_String"),
    identity: [denyIf({ StringNotEqualsIgnoreCase: { "aws:PrincipalTag/dept": "hr" } })],
    request: get(`${BKT}/a.txt`, { ...alice, tags: { dept: "HR" } }),
    expected: "Allow",
  },
  {
    id: "C07",
    rule: "StringNotLike, key present and matching",
    doc: OPS("Conditions_String"),
    identity: [denyIf({ StringNotLike: { "aws:PrincipalTag/team": "ops-*" } }, "s3:DeleteObject")],
    request: {
      action: "s3:DeleteObject",
      resource: `${BKT}/a`,
      context: { "aws:PrincipalTag/team": "ops-blue" },
    },
    expected: "Allow",
  },
  {
    id: "C07b",
    rule: "StringNotLike, key absent",
    doc: OPS("Conditions_String"),
    identity: [denyIf({ StringNotLike: { "aws:PrincipalTag/team": "ops-*" } }, "s3:DeleteObject")],
    request: { action: "s3:DeleteObject", resource: `${BKT}/a`, context: {} },
    expected: "Deny (explicit)",
  },
  {
    id: "C08",
    rule: "values OR-ed, keys and operators AND-ed",
    doc: MULTI(),
    identity: [teams],
    request: list(tags("legal", "audit", "Mary")),
    expected: "Allow",
  },
  {
    id: "C09",
    rule: "one key fails",
    doc: MULTI(),
    identity: [teams],
    request: list(tags("hr", "payroll", "Mary")),
    expected: "Deny (implicit)",
  },
  {
    id: "C10",
    rule: "one key absent",
    doc: MULTI(),
    identity: [teams],
    request: list(tags("hr", undefined, "Mary")),
    expected: "Deny (implicit)",
  },
  {
    id: "C11",
    rule: "a negated operator with several values is a NOR: none match",
    doc: MULTI(),
    identity: [teamsNot],
    request: list(tags("legal", "audit", "Nikki")),
    expected: "Allow",
  },
  {
    id: "C11b",
    rule: "a negated operator with several values is a NOR: one matches",
    doc: MULTI(),
    identity: [teamsNot],
    request: list(tags("hr", "audit", "Mary")),
    expected: "Deny (implicit)",
  },
  {
    id: "C12",
    rule: "NumericLessThanEquals, equal (a JSON number in the context)",
    doc: OPS("Conditions_Numeric"),
    identity: [listIf({ NumericLessThanEquals: { "s3:max-keys": "10" } })],
    request: list({ "s3:max-keys": 10 }),
    expected: "Allow",
  },
  {
    id: "C12b",
    rule: "NumericLessThanEquals, above",
    doc: OPS("Conditions_Numeric"),
    identity: [listIf({ NumericLessThanEquals: { "s3:max-keys": "10" } })],
    request: list({ "s3:max-keys": "11" }),
    expected: "Deny (implicit)",
  },
  {
    id: "C13",
    rule: "Null (JSON true) with MFA absent",
    doc: S3EX("example-bucket-policies-MFA"),
    resourcePolicy: taxDocuments,
    request: get(`${BKT}/taxdocuments/t.pdf`, alice),
    expected: "Deny (explicit)",
  },
  {
    id: "C14",
    rule: "NumericGreaterThan (JSON number), MFA recent",
    doc: S3EX("example-bucket-policies-MFA"),
    resourcePolicy: taxDocuments,
    request: get(`${BKT}/taxdocuments/t.pdf`, alice, { "aws:MultiFactorAuthAge": "600" }),
    expected: "Allow",
  },
  {
    id: "C15",
    rule: "NumericGreaterThan (JSON number), MFA old",
    doc: S3EX("example-bucket-policies-MFA"),
    resourcePolicy: taxDocuments,
    request: get(`${BKT}/taxdocuments/t.pdf`, alice, { "aws:MultiFactorAuthAge": "7200" }),
    expected: "Deny (explicit)",
  },
  {
    id: "C16",
    rule: "NumericNotEquals with the key absent is true",
    doc: OPS("Conditions_Numeric"),
    identity: [denyIf({ NumericNotEquals: { "s3:max-keys": "10" } })],
    request: get(`${BKT}/a.txt`),
    expected: "Deny (explicit)",
  },
  {
    id: "C17",
    rule: "date window, inside",
    doc: EX_DATES(),
    identity: [window],
    request: at("2020-05-15T12:00:00Z"),
    expected: "Allow",
  },
  {
    id: "C17b",
    rule: "date window, after",
    doc: EX_DATES(),
    identity: [window],
    request: at("2020-07-01T00:00:00Z"),
    expected: "Deny (implicit)",
  },
  {
    id: "C18",
    rule: "Date operator with the key absent",
    doc: OPS("Conditions_Date"),
    identity: [accessKeysIf({ DateGreaterThan: { "aws:TokenIssueTime": "2020-01-01T00:00:01Z" } })],
    request: createKey(),
    expected: "Deny (implicit)",
  },
  {
    id: "C18b",
    rule: "Date operator, a session issued later",
    doc: OPS("Conditions_Date"),
    identity: [accessKeysIf({ DateGreaterThan: { "aws:TokenIssueTime": "2020-01-01T00:00:01Z" } })],
    request: createKey({ "aws:TokenIssueTime": "2024-01-01T00:00:00Z" }),
    expected: "Allow",
  },
  {
    id: "C19",
    rule: "epoch seconds as Date values (A11)",
    doc: OPS("Conditions_Date"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "svc:Act",
        Resource: "*",
        Condition: {
          DateGreaterThan: { "aws:CurrentTime": "1585699200" },
          DateLessThan: { "aws:CurrentTime": "1593561600" },
        },
      }),
    ],
    request: at("2020-05-15T12:00:00Z"),
    expected: "Allow",
  },
  {
    id: "C20",
    rule: "aws:EpochTime with a Numeric operator, before",
    doc: KEYS("condition-keys-epochtime"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "svc:Act",
        Resource: "*",
        Condition: { NumericLessThan: { "aws:EpochTime": 1593561600 } },
      }),
    ],
    request: at(1589544000, "aws:EpochTime"),
    expected: "Allow",
  },
  {
    id: "C20b",
    rule: "aws:EpochTime with a Numeric operator, after",
    doc: KEYS("condition-keys-epochtime"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "svc:Act",
        Resource: "*",
        Condition: { NumericLessThan: { "aws:EpochTime": 1593561600 } },
      }),
    ],
    request: at(1600000000, "aws:EpochTime"),
    expected: "Deny (implicit)",
  },
  {
    id: "C21",
    rule: "no wildcards in Date operators",
    doc: OPS("Conditions_Date"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "svc:Act",
        Resource: "*",
        Condition: { DateEquals: { "aws:CurrentTime": "2020-*" } },
      }),
    ],
    request: at("2020-05-15T12:00:00Z"),
    expected: "Deny (implicit)",
    unsupported: /not an ISO 8601 date/,
  },
  {
    id: "C22",
    rule: "Bool: deny HTTP",
    doc: S3EX("example-bucket-policies-use-case-HTTP-HTTPS-1"),
    identity: [s3All],
    resourcePolicy: tlsOnly,
    request: get(`${BKT}/a.txt`, alice, { "aws:SecureTransport": "false" }),
    expected: "Deny (explicit)",
  },
  {
    id: "C22b",
    rule: "Bool: HTTPS passes (a JSON boolean in the context)",
    doc: S3EX("example-bucket-policies-use-case-HTTP-HTTPS-1"),
    identity: [s3All],
    resourcePolicy: tlsOnly,
    request: get(`${BKT}/a.txt`, alice, { "aws:SecureTransport": true }),
    expected: "Allow",
  },
  {
    id: "C23",
    rule: "a Bool value given as a JSON boolean",
    doc: GRAMMAR("policies-grammar-json"),
    identity: [s3All],
    resourcePolicy: doc({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: bucketBoth,
      Condition: { Bool: { "aws:SecureTransport": false } },
    }),
    request: get(`${BKT}/a.txt`, alice, { "aws:SecureTransport": "false" }),
    expected: "Deny (explicit)",
  },
  {
    id: "C24",
    rule: "Bool with the key absent: a Deny on false does not fire",
    doc: EX_EC2MFA(),
    identity: [stopWithMfa("Bool")],
    request: { action: "ec2:StopInstances", resource: "*", principal: alice },
    expected: "Allow",
  },
  {
    id: "C25",
    rule: "BoolIfExists fixes it",
    doc: EX_EC2MFA(),
    identity: [stopWithMfa("BoolIfExists")],
    request: { action: "ec2:StopInstances", resource: "*", principal: alice },
    expected: "Deny (explicit)",
  },
  {
    id: "C26",
    rule: "several operators AND-ed: all hold",
    doc: EX_MFADATES(),
    identity: [mfaDates],
    request: {
      action: "svc:Get",
      resource: "*",
      context: { "aws:MultiFactorAuthPresent": "true", "aws:CurrentTime": "2017-09-01T00:00:00Z" },
    },
    expected: "Allow",
  },
  {
    id: "C26b",
    rule: "several operators AND-ed: MFA false",
    doc: EX_MFADATES(),
    identity: [mfaDates],
    request: {
      action: "svc:Get",
      resource: "*",
      context: { "aws:MultiFactorAuthPresent": "false", "aws:CurrentTime": "2017-09-01T00:00:00Z" },
    },
    expected: "Deny (implicit)",
  },
  {
    id: "C27",
    rule: "BinaryEquals, equal",
    doc: OPS("Conditions_BinaryEquals"),
    identity: [binary],
    request: at("QmluYXJ5VmFsdWVJbkJhc2U2NA==", "key"),
    expected: "Allow",
  },
  {
    id: "C27b",
    rule: "BinaryEquals, different",
    doc: OPS("Conditions_BinaryEquals"),
    identity: [binary],
    request: at("ASIAIOSFODNN7EXAMPLE", "key"),
    expected: "Deny (implicit)",
  },
  {
    id: "C27c",
    rule: "BinaryEquals, key absent",
    doc: OPS("Conditions_BinaryEquals"),
    identity: [binary],
    request: { action: "svc:Act", resource: "*" },
    expected: "Deny (implicit)",
  },
  {
    id: "C28",
    rule: "IpAddress CIDR, inside",
    doc: OPS("Conditions_IPAddress"),
    identity: [accessKeysIf({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } })],
    request: createKey({ "aws:SourceIp": "203.0.113.1" }),
    expected: "Allow",
  },
  {
    id: "C28b",
    rule: "IpAddress CIDR, outside",
    doc: OPS("Conditions_IPAddress"),
    identity: [accessKeysIf({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } })],
    request: createKey({ "aws:SourceIp": "198.51.100.1" }),
    expected: "Deny (implicit)",
  },
  {
    id: "C29",
    rule: "an IP without a prefix is /32",
    doc: OPS("Conditions_IPAddress"),
    identity: [accessKeysIf({ IpAddress: { "aws:SourceIp": "203.0.113.5" } })],
    request: createKey({ "aws:SourceIp": "203.0.113.5" }),
    expected: "Allow",
  },
  {
    id: "C29b",
    rule: "an IP without a prefix is /32: the next address",
    doc: OPS("Conditions_IPAddress"),
    identity: [accessKeysIf({ IpAddress: { "aws:SourceIp": "203.0.113.5" } })],
    request: createKey({ "aws:SourceIp": "203.0.113.6" }),
    expected: "Deny (implicit)",
  },
  {
    id: "C30",
    rule: "IPv4/IPv6 mix: allowed IPv6",
    doc: S3EX("example-bucket-policies-IP-2"),
    resourcePolicy: ipMix,
    request: fromIp("2001:DB8:1234:5678::1"),
    expected: "Allow",
  },
  {
    id: "C30b",
    rule: "IPv4/IPv6 mix: excluded IPv6",
    doc: S3EX("example-bucket-policies-IP-2"),
    resourcePolicy: ipMix,
    request: fromIp("2001:DB8:1234:5678:ABCD::1"),
    expected: "Deny (implicit)",
  },
  {
    id: "C30c",
    rule: "IPv4/IPv6 mix: excluded IPv4",
    doc: S3EX("example-bucket-policies-IP-2"),
    resourcePolicy: ipMix,
    request: fromIp("203.0.113.1"),
    expected: "Deny (implicit)",
  },
  {
    id: "C30d",
    rule: "IPv4/IPv6 mix: allowed IPv4",
    doc: S3EX("example-bucket-policies-IP-2"),
    resourcePolicy: ipMix,
    request: fromIp("192.0.2.1"),
    expected: "Allow",
  },
  {
    id: "C31",
    rule: "IpAddress with aws:SourceIp absent",
    doc: OPS("Conditions_IPAddress"),
    identity: [accessKeysIf({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } })],
    request: createKey(),
    expected: "Deny (implicit)",
  },
  {
    id: "C32",
    rule: "NotIpAddress Deny with aws:SourceIp absent",
    doc: S3EX("example-bucket-policies-IP-1"),
    identity: [s3All],
    resourcePolicy: doc({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: bucketBoth,
      Condition: { NotIpAddress: { "aws:SourceIp": "192.0.2.0/24" } },
    }),
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (explicit)",
  },
  {
    id: "C33",
    rule: "Null false: the key is present",
    doc: OPS("Conditions_Null"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "ec2:*",
        Resource: "*",
        Condition: { Null: { "aws:TokenIssueTime": "false" } },
      }),
    ],
    request: {
      action: "ec2:RunInstances",
      resource: "*",
      principal: s1,
      context: { "aws:TokenIssueTime": "2024-01-01T00:00:00Z" },
    },
    expected: "Allow",
  },
  {
    id: "C33b",
    rule: "Null false: long-term keys",
    doc: OPS("Conditions_Null"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "ec2:*",
        Resource: "*",
        Condition: { Null: { "aws:TokenIssueTime": "false" } },
      }),
    ],
    request: { action: "ec2:RunInstances", resource: "*", principal: alice },
    expected: "Deny (implicit)",
  },
  {
    id: "C34",
    rule: "StringLikeIfExists, matching",
    doc: OPS("Conditions_IfExists"),
    identity: [instanceTypes],
    request: run({ "ec2:InstanceType": "t1.micro" }),
    expected: "Allow",
  },
  {
    id: "C34b",
    rule: "StringLikeIfExists, not matching",
    doc: OPS("Conditions_IfExists"),
    identity: [instanceTypes],
    request: run({ "ec2:InstanceType": "m2.micro" }),
    expected: "Deny (implicit)",
  },
  {
    id: "C34c",
    rule: "StringLikeIfExists, key absent",
    doc: OPS("Conditions_IfExists"),
    identity: [instanceTypes],
    request: run({}),
    expected: "Allow",
  },
  {
    id: "C35",
    rule: "a negated IfExists Deny with the key absent",
    doc: OPS("Conditions_IfExists"),
    identity: [denyIf({ StringNotEqualsIfExists: { "aws:PrincipalTag/dept": "hr" } })],
    request: get(`${BKT}/a.txt`, alice),
    expected: "Deny (explicit)",
  },
  {
    id: "C36",
    rule: "no IfExists on Null",
    doc: OPS("Conditions_IfExists"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "ec2:*",
        Resource: "*",
        Condition: { NullIfExists: { "aws:TokenIssueTime": "false" } },
      }),
    ],
    request: {
      action: "ec2:RunInstances",
      resource: "*",
      context: { "aws:TokenIssueTime": "2024-01-01T00:00:00Z" },
    },
    expected: "Deny (implicit)",
    unsupported: /NullIfExists is not an operator/,
  },
];

// §5 Set operators
const deleteTags = (Condition: PolicyStatement["Condition"]) =>
  doc({
    Effect: "Allow",
    Action: "ec2:DeleteTags",
    Resource: "arn:aws:ec2:us-east-1:111122223333:instance/*",
    Condition,
  });
const onInstance = (context: AuthzRequest["context"], action = "ec2:DeleteTags") => ({
  action,
  resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
  context,
});
const guardedAll = deleteTags({
  "ForAllValues:StringEquals": { "aws:TagKeys": ["environment", "cost-center"] },
  Null: { "aws:TagKeys": "false" },
});
const anyTag = deleteTags({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["environment", "cost-center"] } });
const thread = doc({
  Effect: "Allow",
  Action: "dynamodb:GetItem",
  Resource: "arn:aws:dynamodb:*:*:table/Thread",
  Condition: { "ForAllValues:StringEquals": { "dynamodb:Attributes": ["ID", "Message", "Tags"] } },
});
const getThread = (attributes?: string[]) => ({
  action: "dynamodb:GetItem",
  resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Thread`,
  context: { "dynamodb:Attributes": attributes },
});
const denyPostDate = doc(allow("dynamodb:*"), {
  Effect: "Deny",
  Action: "dynamodb:PutItem",
  Resource: "arn:aws:dynamodb:*:*:table/Thread",
  Condition: { "ForAnyValue:StringEquals": { "dynamodb:Attributes": ["ID", "PostDateTime"] } },
});
const putThread = (attributes: string[]) => ({
  action: "dynamodb:PutItem",
  resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Thread`,
  context: { "dynamodb:Attributes": attributes },
});
const restrictedTags = (patterns: string | string[]) =>
  doc(allow("iam:*"), {
    Sid: "DenyRestrictedTags",
    Effect: "Deny",
    Action: ["iam:Tag*", "iam:UnTag*"],
    Resource: ["*"],
    Condition: { "ForAllValues:StringNotLike": { "aws:TagKeys": patterns } },
  });
const tagUser = (keys?: string[]) => ({
  action: "iam:TagUser",
  resource: `arn:aws:iam::${ACCOUNT}:user/alice`,
  context: { "aws:TagKeys": keys },
});
const logDelivery = doc(
  {
    Effect: "Allow",
    Principal: { Service: "logging.s3.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: "arn:aws:s3:::bkt-logs/*",
  },
  {
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: "arn:aws:s3:::bkt-logs/*",
    Condition: {
      "ForAllValues:StringNotEquals": { "aws:PrincipalServiceNamesList": "logging.s3.amazonaws.com" },
    },
  },
);
const createTagsNot = doc(allow("ec2:*"), {
  Effect: "Deny",
  Action: "ec2:CreateTags",
  Resource: "*",
  Condition: { "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["environment", "cost-center"] } },
});
const envTag = doc({
  Effect: "Allow",
  Action: "ec2:CreateTags",
  Resource: "arn:aws:ec2:*:*:instance/*",
  Condition: {
    StringEqualsIgnoreCase: { "aws:RequestTag/environment": ["preprod", "storage"] },
    "ForAnyValue:StringEquals": { "aws:TagKeys": "environment" },
  },
});

const sets: Case[] = [
  {
    id: "S01",
    rule: "ForAllValues: every request value listed",
    doc: SVMV(),
    identity: [guardedAll],
    request: onInstance({ "aws:TagKeys": ["environment"] }),
    expected: "Allow",
  },
  {
    id: "S01b",
    rule: "ForAllValues: one value not listed",
    doc: SVMV(),
    identity: [guardedAll],
    request: onInstance({ "aws:TagKeys": ["environment", "dept"] }),
    expected: "Deny (implicit)",
  },
  {
    id: "S02",
    rule: "ForAllValues with a Null guard, key absent",
    doc: SVMV(),
    identity: [guardedAll],
    request: onInstance({}),
    expected: "Deny (implicit)",
  },
  {
    id: "S03",
    rule: "ForAllValues without a guard, key absent, is true",
    doc: SVMV(),
    identity: [thread],
    request: getThread(),
    expected: "Allow",
  },
  {
    id: "S04",
    rule: "ForAllValues: a value outside the list",
    doc: MV2023("reference_policies_multi-key-or-value-conditions"),
    identity: [thread],
    request: getThread(["ID", "Message", "UserName"]),
    expected: "Deny (implicit)",
  },
  {
    id: "S05",
    rule: "ForAllValues with an empty set is true",
    doc: MV2023("reference_policies_multi-key-or-value-conditions"),
    identity: [thread],
    request: getThread([]),
    expected: "Allow",
  },
  {
    id: "S06",
    rule: "ForAnyValue: an overlap",
    doc: SVMV(),
    identity: [anyTag],
    request: onInstance({ "aws:TagKeys": ["environment", "dept"] }),
    expected: "Allow",
  },
  {
    id: "S06b",
    rule: "ForAnyValue: no overlap",
    doc: SVMV(),
    identity: [anyTag],
    request: onInstance({ "aws:TagKeys": ["dept"] }),
    expected: "Deny (implicit)",
  },
  {
    id: "S07",
    rule: "ForAnyValue with the key absent is false",
    doc: SVMV(),
    identity: [anyTag],
    request: onInstance({}),
    expected: "Deny (implicit)",
  },
  {
    id: "S08",
    rule: "ForAnyValue in a Deny: one match",
    doc: MV2023("reference_policies_multi-value-conditions-examples"),
    identity: [denyPostDate],
    request: putThread(["PostDateTime", "Message"]),
    expected: "Deny (explicit)",
  },
  {
    id: "S08b",
    rule: "ForAnyValue in a Deny: no match",
    doc: MV2023("reference_policies_multi-value-conditions-examples"),
    identity: [denyPostDate],
    request: putThread(["UserName"]),
    expected: "Allow",
  },
  {
    id: "S09",
    rule: "ForAllValues:StringNotLike Deny, matching prefix",
    doc: MVEX(),
    identity: [restrictedTags("key1*")],
    request: tagUser(["key1:legal"]),
    expected: "Allow",
  },
  {
    id: "S09b",
    rule: "ForAllValues:StringNotLike Deny, other prefix",
    doc: MVEX(),
    identity: [restrictedTags("key1*")],
    request: tagUser(["key2:audit"]),
    expected: "Deny (explicit)",
  },
  {
    id: "S10",
    rule: "ForAllValues:StringNotLike Deny, key absent",
    doc: MVEX(),
    identity: [restrictedTags("key1*")],
    request: tagUser(),
    expected: "Deny (explicit)",
  },
  {
    id: "S11",
    rule: "two patterns, both prefixes",
    doc: MVEX(),
    identity: [restrictedTags(["key1*", "key2*"])],
    request: tagUser(["key1:hr", "key2:audit"]),
    expected: "Allow",
  },
  {
    id: "S11b",
    rule: "two patterns, neither prefix",
    doc: MVEX(),
    identity: [restrictedTags(["key1*", "key2*"])],
    request: tagUser(["key3:legal"]),
    expected: "Deny (explicit)",
  },
  {
    id: "S11c",
    rule: "two patterns, a mixed set (A6: operator definition)",
    doc: OPS("Conditions_String"),
    identity: [restrictedTags(["key1*", "key2*"])],
    request: tagUser(["key1:hr", "key3:x"]),
    expected: "Allow",
  },
  {
    id: "S12",
    rule: "log bucket: another caller is denied",
    doc: S3EX("example-bucket-policies-global-condition-keys-1"),
    identity: [doc(allow("s3:PutObject"))],
    resourcePolicy: logDelivery,
    request: { action: "s3:PutObject", resource: "arn:aws:s3:::bkt-logs/l", principal: alice, context: {} },
    expected: "Deny (explicit)",
  },
  {
    id: "S12b",
    rule: "log bucket: the logging service passes",
    doc: S3EX("example-bucket-policies-global-condition-keys-1"),
    resourcePolicy: logDelivery,
    request: {
      action: "s3:PutObject",
      resource: "arn:aws:s3:::bkt-logs/l",
      principal: service("logging.s3.amazonaws.com"),
      context: { "aws:PrincipalServiceNamesList": ["logging.s3.amazonaws.com"] },
    },
    expected: "Allow",
  },
  {
    id: "S13",
    rule: "ForAnyValue:StringNotEquals, one unlisted key",
    doc: OPS("Conditions_String"),
    identity: [createTagsNot],
    request: onInstance({ "aws:TagKeys": ["environment", "dept"] }, "ec2:CreateTags"),
    expected: "Deny (explicit)",
  },
  {
    id: "S13b",
    rule: "ForAnyValue:StringNotEquals, all listed",
    doc: OPS("Conditions_String"),
    identity: [createTagsNot],
    request: onInstance({ "aws:TagKeys": ["environment"] }, "ec2:CreateTags"),
    expected: "Allow",
  },
  {
    id: "S13c",
    rule: "ForAnyValue:StringNotEquals, key absent",
    doc: OPS("Conditions_String"),
    identity: [createTagsNot],
    request: onInstance({}, "ec2:CreateTags"),
    expected: "Allow",
  },
  {
    id: "S14",
    rule: "ForAllValues:ArnLike, key absent, is a match",
    doc: OPS("Conditions_ARN"),
    resourcePolicy: doc({
      Effect: "Allow",
      Principal: "*",
      Action: "logs:PutDeliverySource",
      Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:delivery-source:*`,
      Condition: {
        "ForAllValues:ArnLike": {
          "logs:LogGeneratingResourceArns": [`arn:aws:cloudfront::${ACCOUNT}:distribution/*`],
        },
      },
    }),
    request: {
      action: "logs:PutDeliverySource",
      resource: `arn:aws:logs:us-east-1:${ACCOUNT}:delivery-source:s`,
      principal: alice,
    },
    expected: "Allow",
  },
  {
    id: "S15",
    rule: "ForAllValues:StringNotLike, key absent (A5: the general rule)",
    doc: SVMV(),
    identity: [
      doc(allow("s3:*"), {
        Effect: "Deny",
        Action: ["s3:*"],
        Resource: "*",
        Condition: {
          "ForAllValues:StringNotLike": {
            "aws:ResourceOrgPaths": [
              "o-acorg/r-acroot/ou-acroot-mediaou/",
              "o-acorg/r-acroot/ou-acroot-sportsou/*",
            ],
          },
        },
      }),
    ],
    request: get(`${BKT}/a.txt`),
    expected: "Deny (explicit)",
  },
  {
    id: "S16",
    rule: "ForAnyValue is case-sensitive, IgnoreCase is not",
    doc: OPS("Conditions_String"),
    identity: [envTag],
    request: onInstance(
      { "aws:TagKeys": ["environment", "costcenter"], "aws:RequestTag/environment": "PreProd" },
      "ec2:CreateTags",
    ),
    expected: "Allow",
  },
  {
    id: "S16b",
    rule: "ForAnyValue is case-sensitive: Environment",
    doc: OPS("Conditions_String"),
    identity: [envTag],
    request: onInstance(
      { "aws:TagKeys": ["Environment"], "aws:RequestTag/Environment": "preprod" },
      "ec2:CreateTags",
    ),
    expected: "Deny (implicit)",
  },
  {
    id: "S17",
    rule: "a set operator on a single-valued key, key absent, is true",
    doc: SVMV("reference_policies_condition-key-points"),
    identity: [
      doc({
        Effect: "Allow",
        Action: "s3:*",
        Resource: "*",
        Condition: { "ForAllValues:StringEquals": { "aws:PrincipalTag/dept": "hr" } },
      }),
    ],
    request: get(`${BKT}/a.txt`, alice),
    expected: "Allow",
  },
];

// §6 Policy variables
const home = doc(allow("s3:*", [`${BKT}/home/\${aws:username}`, `${BKT}/home/\${aws:username}/*`]));
const prefixes = listIf({ StringLike: { "s3:prefix": ["", "home/", "home/${aws:username}/"] } });
const deptObjects = doc(allow("s3:GetObject", [`${BKT}/\${aws:PrincipalTag/dept}/*`]));
const teamBucket = doc(
  allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}"),
);
const teamOf = (team?: string): IamPrincipal => ({ ...alice, tags: team ? { team } : {} });
const pipelines = doc(allow("datapipeline:*"), {
  Effect: "Deny",
  Action: ["datapipeline:DeletePipeline"],
  Resource: ["*"],
  Condition: { StringNotEquals: { "datapipeline:PipelineCreator": "${aws:userid}" } },
});
const deletePipeline = (creator: string) => ({
  action: "datapipeline:DeletePipeline",
  resource: "*",
  principal: { ...alice, userId: "AIDACKCEVSQ6C2EXAMPLE" },
  context: { "datapipeline:PipelineCreator": creator },
});
const ownerTag = doc({
  Effect: "Allow",
  Action: ["s3:GetObject"],
  Resource: ["*"],
  Condition: { StringEquals: { "s3:ExistingObjectTag/owner": "${aws:PrincipalTag/owner}" } },
});
const literalHome = (Version?: string): PolicyDocument => ({
  ...(Version ? { Version } : {}),
  Statement: [allow("s3:GetObject", `${BKT}/home/\${aws:username}/*`)],
});

const variables: Case[] = [
  {
    id: "V01",
    rule: "${aws:username} in Resource",
    doc: RES("reference_policies_elements_resource_policy-variables"),
    identity: [home],
    request: get(`${BKT}/home/alice/f.txt`, alice),
    expected: "Allow",
  },
  {
    id: "V01b",
    rule: "${aws:username} in Resource: another user's home",
    doc: RES("reference_policies_elements_resource_policy-variables"),
    identity: [home],
    request: get(`${BKT}/home/bob/f.txt`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "V02",
    rule: "a variable with no value in Resource matches nothing",
    doc: VARS("policy-vars-no-value"),
    identity: [home],
    request: get(`${BKT}/home/AppRole/f.txt`, s1),
    expected: "Deny (implicit)",
  },
  {
    id: "V03",
    rule: "a variable in a StringLike value",
    doc: OPS("Conditions_String"),
    identity: [prefixes],
    request: list({ "s3:prefix": "home/alice/" }, alice),
    expected: "Allow",
  },
  {
    id: "V03b",
    rule: "a variable in a StringLike value, no aws:username",
    doc: OPS("Conditions_String"),
    identity: [prefixes],
    request: list({ "s3:prefix": "home/x/" }, s1),
    expected: "Deny (implicit)",
  },
  {
    id: "V04",
    rule: "${aws:PrincipalTag/…} in Resource",
    doc: VARS("policy-vars-tags"),
    identity: [deptObjects],
    request: get(`${BKT}/hr/a`, { ...alice, tags: { dept: "hr" } }),
    expected: "Allow",
  },
  {
    id: "V04b",
    rule: "${aws:PrincipalTag/…} in Resource, another department",
    doc: VARS("policy-vars-tags"),
    identity: [deptObjects],
    request: get(`${BKT}/it/a`, { ...alice, tags: { dept: "hr" } }),
    expected: "Deny (implicit)",
  },
  {
    id: "V05",
    rule: "a default value when the tag is missing",
    doc: VARS("policy-vars-default-values"),
    identity: [teamBucket],
    request: get("arn:aws:s3:::amzn-s3-demo-bucket-company-wide", teamOf()),
    expected: "Allow",
  },
  {
    id: "V05b",
    rule: "the tag's value when present",
    doc: VARS("policy-vars-default-values"),
    identity: [teamBucket],
    request: get("arn:aws:s3:::amzn-s3-demo-bucket-yellow", teamOf("yellow")),
    expected: "Allow",
  },
  {
    id: "V05c",
    rule: "no default when the tag is present",
    doc: VARS("policy-vars-default-values"),
    identity: [teamBucket],
    request: get("arn:aws:s3:::amzn-s3-demo-bucket-company-wide", teamOf("yellow")),
    expected: "Deny (implicit)",
  },
  {
    id: "V06",
    rule: "${aws:userid} of a role session (a value with a colon)",
    doc: EX_FEDHOME(),
    identity: [
      doc(
        allow("s3:*", [
          "arn:aws:s3:::bucket-name/home/${aws:userid}",
          "arn:aws:s3:::bucket-name/home/${aws:userid}/*",
        ]),
      ),
    ],
    request: get("arn:aws:s3:::bucket-name/home/AROAXXT2NJT7D3SIQN7Z6:John/a", {
      ...s1,
      userId: "AROAXXT2NJT7D3SIQN7Z6:John",
    }),
    expected: "Allow",
  },
  {
    id: "V07",
    rule: "${aws:userid} in a negated Deny: own pipeline",
    doc: EX_DP(),
    identity: [pipelines],
    request: deletePipeline("AIDACKCEVSQ6C2EXAMPLE"),
    expected: "Allow",
  },
  {
    id: "V07b",
    rule: "${aws:userid} in a negated Deny: another creator",
    doc: EX_DP(),
    identity: [pipelines],
    request: deletePipeline("AIDAOTHER"),
    expected: "Deny (explicit)",
  },
  {
    id: "V08",
    rule: "a variable as a condition value",
    doc: VARS("policy-vars-no-value"),
    identity: [ownerTag],
    request: get(
      `${BKT}/a`,
      { ...alice, tags: { owner: "alice" } },
      { "s3:ExistingObjectTag/owner": "alice" },
    ),
    expected: "Allow",
  },
  {
    id: "V08b",
    rule: "a variable with no value: a positive operator does not match",
    doc: VARS("policy-vars-no-value"),
    identity: [ownerTag],
    request: get(`${BKT}/a`, alice, { "s3:ExistingObjectTag/owner": "alice" }),
    expected: "Deny (implicit)",
  },
  {
    id: "V09",
    rule: "a variable with no value: a negated operator matches",
    doc: VARS("policy-vars-no-value"),
    identity: [
      doc(allow("s3:GetObject"), {
        Effect: "Deny",
        Action: "s3:GetObject",
        Resource: `${BKT}/*`,
        Condition: { StringNotEquals: { "s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}" } },
      }),
    ],
    request: get(`${BKT}/a`, alice, { "s3:ExistingObjectTag/Team": "red" }),
    expected: "Deny (explicit)",
  },
  {
    id: "V10",
    rule: "${*} is a literal asterisk",
    doc: VARS("policy-vars-specialchars"),
    identity: [doc(allow("s3:GetObject", `${BKT}/a\${*}b`))],
    request: get(`${BKT}/a*b`),
    expected: "Allow",
  },
  {
    id: "V10b",
    rule: "${*} is not a wildcard",
    doc: VARS("policy-vars-specialchars"),
    identity: [doc(allow("s3:GetObject", `${BKT}/a\${*}b`))],
    request: get(`${BKT}/aXb`),
    expected: "Deny (implicit)",
  },
  {
    id: "V11",
    rule: "${?} is a literal question mark",
    doc: VARS("policy-vars-specialchars"),
    identity: [doc(allow("s3:GetObject", `${BKT}/what\${?}`))],
    request: get(`${BKT}/what?`),
    expected: "Allow",
  },
  {
    id: "V11b",
    rule: "${?} is not a wildcard",
    doc: VARS("policy-vars-specialchars"),
    identity: [doc(allow("s3:GetObject", `${BKT}/what\${?}`))],
    request: get(`${BKT}/whatX`),
    expected: "Deny (implicit)",
  },
  {
    id: "V11c",
    rule: "${$} is a literal dollar",
    doc: VARS("policy-vars-specialchars"),
    identity: [doc(allow("s3:GetObject", `${BKT}/price\${$}5`))],
    request: get(`${BKT}/price$5`),
    expected: "Allow",
  },
  {
    id: "V12",
    rule: "Version 2008-10-17: variables are literal",
    doc: VERSION(),
    identity: [literalHome("2008-10-17")],
    request: get(`${BKT}/home/alice/f`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "V12b",
    rule: "Version 2008-10-17: the literal key matches",
    doc: VERSION(),
    identity: [literalHome("2008-10-17")],
    request: get(`${BKT}/home/\${aws:username}/f`, alice),
    expected: "Allow",
  },
  {
    id: "V13",
    rule: "no Version: variables are literal",
    doc: VARS("policy-vars-using-variables"),
    identity: [literalHome()],
    request: get(`${BKT}/home/alice/f`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "V13b",
    rule: "2012-10-17: the same policy substitutes",
    doc: VARS("policy-vars-using-variables"),
    identity: [literalHome("2012-10-17")],
    request: get(`${BKT}/home/alice/f`, alice),
    expected: "Allow",
  },
  {
    id: "V14",
    rule: "no variables before the fifth colon",
    doc: VARS("policy-vars-resourceelement"),
    identity: [doc(allow("iam:GetUser", "arn:aws:iam::${aws:PrincipalAccount}:user/x"))],
    request: { action: "iam:GetUser", resource: `arn:aws:iam::${ACCOUNT}:user/x`, principal: alice },
    expected: "Deny (implicit)",
    unsupported: /before the fifth colon/,
  },
  {
    id: "V15",
    rule: "no variables with Numeric operators",
    doc: VARS("policy-vars-conditionelement"),
    identity: [listIf({ NumericLessThan: { "s3:max-keys": "${aws:PrincipalTag/max}" } })],
    request: list({ "s3:max-keys": "5" }, { ...alice, tags: { max: "10" } }),
    expected: "Deny (implicit)",
    unsupported: /not a number/,
  },
  {
    id: "V16",
    rule: "${aws:SourceIp} as a variable",
    doc: VARS("policy-vars-infotouse"),
    identity: [doc(allow("s3:GetObject", `${BKT}/\${aws:SourceIp}/*`))],
    request: get(`${BKT}/203.0.113.7/a`, alice, { "aws:SourceIp": "203.0.113.7" }),
    expected: "Allow",
  },
  {
    id: "V16b",
    rule: "${aws:SourceIp} absent (a VPC endpoint)",
    doc: VARS("policy-vars-infotouse"),
    identity: [doc(allow("s3:GetObject", `${BKT}/\${aws:SourceIp}/*`))],
    request: get(`${BKT}/203.0.113.7/a`, alice),
    expected: "Deny (implicit)",
  },
  {
    id: "V17",
    rule: "a multivalued key cannot be a variable",
    doc: SVMV("reference_policies_condition-key-points"),
    identity: [doc(allow("s3:GetObject", `${BKT}/\${aws:TagKeys}/*`))],
    request: get(`${BKT}/a/x`, alice, { "aws:TagKeys": ["a"] }),
    expected: "Deny (implicit)",
    unsupported: /multivalued key aws:TagKeys/,
  },
  {
    id: "V18",
    rule: "variable key names are case-insensitive",
    doc: VARS("policy-vars-infotouse"),
    identity: [doc(allow("s3:GetObject", `${BKT}/home/\${AWS:UserName}/*`))],
    request: get(`${BKT}/home/alice/f`, alice),
    expected: "Allow",
  },
];

// §7 Other rules
const misc: Case[] = [
  {
    id: "M01",
    rule: "Resource or NotResource is required",
    doc: RES(),
    identity: [doc({ Effect: "Allow", Action: "s3:GetObject" })],
    request: get(`${BKT}/a`),
    expected: "Deny (implicit)",
    unsupported: /Resource, NotResource/,
  },
  {
    id: "M02",
    rule: "Action or NotAction is required",
    doc: ACTION(),
    identity: [doc({ Effect: "Allow", Resource: "*" })],
    request: get(`${BKT}/a`),
    expected: "Deny (implicit)",
    unsupported: /Action, NotAction/,
  },
  {
    id: "M03",
    rule: "Effect is case-sensitive",
    doc: EFFECT(),
    identity: [doc({ Effect: "allow", Action: "s3:*", Resource: "*" } as unknown as PolicyStatement)],
    request: get(`${BKT}/a`),
    expected: "Deny (implicit)",
    unsupported: /Effect "allow"/,
  },
  {
    id: "M04",
    rule: "condition key names are case-insensitive",
    doc: COND(),
    identity: [
      doc({
        Effect: "Allow",
        Action: "s3:*",
        Resource: "*",
        Condition: { IpAddress: { "AWS:SourceIP": "203.0.113.0/24" } },
      }),
    ],
    request: get(`${BKT}/a`, alice, { "aws:SourceIp": "203.0.113.9" }),
    expected: "Allow",
  },
  {
    id: "M05",
    rule: "the tag-key part of a key name is case-insensitive",
    doc: COND(),
    identity: [
      doc({
        Effect: "Allow",
        Action: "s3:*",
        Resource: "*",
        Condition: { StringEquals: { "aws:ResourceTag/TagKey1": "Value1" } },
      }),
    ],
    request: get(`${BKT}/a`, alice, { "aws:ResourceTag/tagkey1": "Value1" }),
    expected: "Allow",
  },
  {
    id: "M06",
    rule: "several Resource values are OR-ed",
    doc: RES("reference_policies_elements_resource_multiple-resources"),
    identity: [
      doc(
        allow("dynamodb:GetItem", [
          `arn:aws:dynamodb:us-east-2:${ACCOUNT}:table/books_table`,
          `arn:aws:dynamodb:us-east-2:${ACCOUNT}:table/magazines_table`,
        ]),
      ),
    ],
    request: {
      action: "dynamodb:GetItem",
      resource: `arn:aws:dynamodb:us-east-2:${ACCOUNT}:table/magazines_table`,
    },
    expected: "Allow",
  },
  {
    id: "M07",
    rule: "a single value where an array is allowed",
    doc: GRAMMAR("policies-grammar-notes"),
    identity: [doc({ Resource: `${BKT}/*`, Action: ["s3:GetObject"], Effect: "Allow" })],
    request: get(`${BKT}/a`),
    expected: "Allow",
  },
  {
    id: "M08",
    rule: "every applicable statement counts (Deny second)",
    doc: DENYALLOW(),
    identity: [doc(allow("s3:*"), { Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" })],
    request: { action: "s3:DeleteObject", resource: `${BKT}/a` },
    expected: "Deny (explicit)",
  },
  {
    id: "M08b",
    rule: "every applicable statement counts (Deny first)",
    doc: DENYALLOW(),
    identity: [doc({ Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" }, allow("s3:*"))],
    request: { action: "s3:DeleteObject", resource: `${BKT}/a` },
    expected: "Deny (explicit)",
  },
];

// Failing safe on what cannot be evaluated (our rule; the operators are those OPS lists).
const odd = (Effect: "Allow" | "Deny", Condition: PolicyStatement["Condition"]): PolicyStatement => ({
  Effect,
  Action: "s3:*",
  Resource: "*",
  Condition,
});
const unsupported: Case[] = [
  {
    id: "U01",
    rule: "an unknown operator in a Deny applies",
    doc: OPS(),
    identity: [doc(allow("s3:*"), odd("Deny", { StringSoundsLike: { "aws:username": "alice" } }))],
    request: get(`${BKT}/a`, alice),
    expected: "Deny (explicit)",
    unsupported: /unknown condition operator StringSoundsLike/,
  },
  {
    id: "U02",
    rule: "an unknown operator in an Allow does not",
    doc: OPS(),
    identity: [doc(odd("Allow", { StringSoundsLike: { "aws:username": "alice" } }))],
    request: get(`${BKT}/a`, alice),
    expected: "Deny (implicit)",
    unsupported: /unknown condition operator StringSoundsLike/,
  },
  {
    id: "U03",
    rule: "a non-date in a Date Deny applies",
    doc: OPS("Conditions_Date"),
    identity: [doc(allow("s3:*"), odd("Deny", { DateLessThan: { "aws:CurrentTime": "next tuesday" } }))],
    request: get(`${BKT}/a`, alice, { "aws:CurrentTime": "2020-01-01T00:00:00Z" }),
    expected: "Deny (explicit)",
    unsupported: /not an ISO 8601 date/,
  },
  {
    id: "U04",
    rule: "an unknown operator does not rescue a false condition in a Deny",
    doc: OPS(),
    identity: [
      doc(
        allow("s3:*"),
        odd("Deny", { StringSoundsLike: { k: "v" }, StringEquals: { "aws:username": "bob" } }),
      ),
    ],
    request: get(`${BKT}/a`, alice),
    expected: "Allow",
    unsupported: /StringSoundsLike/,
  },
];

const outcome = (decision: ReturnType<typeof evaluate>): Outcome =>
  decision.allowed ? "Allow" : decision.reason === "explicit-deny" ? "Deny (explicit)" : "Deny (implicit)";

describe("IAM evaluator: AWS-documented cases", () => {
  const sections = { evaluation, principals, wildcards, conditions, sets, variables, misc, unsupported };
  for (const [section, cases] of Object.entries(sections)) {
    describe(section, () => {
      for (const c of cases) {
        it(`${c.id} ${c.rule} → ${c.expected} (${c.doc})`, () => {
          const decision = evaluate({ context: {}, ...c.request }, c.identity ?? [], c.resourcePolicy);
          const cite = `${c.id}: ${c.doc}; decision ${JSON.stringify(decision)}`;
          expect(outcome(decision), cite).to.equal(c.expected);
          if (c.unsupported)
            expect(decision.unsupported ?? [], cite).to.satisfy((l: string[]) =>
              l.some((i) => c.unsupported?.test(i)),
            );
          else expect(decision.unsupported ?? [], cite).to.deep.equal([]);
        });
      }
    });
  }

  it("has at least 60 cases, each with a documentation anchor", () => {
    const all = Object.values(sections).flat();
    expect(all.length).to.be.at.least(60);
    for (const c of all) expect(c.doc, c.id).to.match(/^https:\/\/docs\.aws\.amazon\.com\/.+\.html#.+$/);
    expect(new Set(all.map((c) => c.id)).size).to.equal(all.length);
  });
});

describe("IAM evaluator: the principal is optional", () => {
  it("without a principal, a resource policy's Principal counts as naming the caller (as before)", () => {
    const decision = evaluate(get(`${BKT}/a.txt`), [], rpFor(`arn:aws:iam::${ACCOUNT}:user/someone-else`));
    expect(decision).to.deep.equal({ allowed: true, statement: "(no Sid)" });
  });

  it("reports what it could not evaluate only when there is something", () => {
    expect(evaluate(get(`${BKT}/a.txt`, alice), [s3All])).to.deep.equal({
      allowed: true,
      statement: "(no Sid)",
    });
  });
});
