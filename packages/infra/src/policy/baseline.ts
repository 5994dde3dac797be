/**
 * The security baseline of a lambdaform stack, as rules over the synthesized stack: the parsed
 * `cdk.tf.json` (Terraform JSON syntax), plain objects in, violations out. infra's tests assert it
 * and the plan review reports it, from this one module. No CDKTF import here (keep it that way: the
 * review loads this without loading the CDK).
 */
import { NO_RESOURCE_LEVEL_ACTIONS } from "../iam-actions.ts";

/** A synthesized stack: `JSON.parse` of its `cdk.tf.json`. */
export interface StackJson {
  readonly resource?: unknown;
  readonly data?: unknown;
  readonly [key: string]: unknown;
}

/** One offending resource, as a rule's check reports it. */
export interface Finding {
  /** Terraform address, e.g. `aws_s3_bucket.uploads_bucket_556152F0`. */
  readonly address: string;
  readonly message: string;
}

export interface Rule {
  /** The checkov ID (e.g. `CKV2_AWS_6`) or, where checkov has no check, a lambdaform one (`LF_…`). */
  readonly id: string;
  /** The checkov ID, when the rule is checkov's (checkov itself is not run). */
  readonly checkov?: string;
  readonly title: string;
  /** At most one finding per resource (its problems joined). */
  readonly check: (stack: StackJson) => Finding[];
}

export interface Violation {
  readonly rule: string;
  readonly checkov?: string;
  readonly title: string;
  readonly address: string;
  readonly message: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const strings = (v: unknown): string[] => list(v).map(String);
const blocks = (v: unknown): Json[] => list(v).filter(isObject);
/** A nested block: Terraform JSON allows one object or a list of them. */
const block = (v: unknown): Json | undefined => blocks(v)[0];
const shown = (v: unknown): string => (v === undefined ? "unset" : JSON.stringify(v));
const isPositive = (v: unknown): boolean => typeof v === "number" && v > 0;
const isSet = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

interface Entry {
  readonly type: string;
  readonly id: string;
  readonly address: string;
  readonly body: Json;
}

/** Lookups in one synthesized stack. */
class Stack {
  constructor(private readonly json: StackJson) {
    if (!isObject(json)) throw new TypeError("checkBaseline: a synthesized stack is a JSON object");
    if ("resource_changes" in json || "planned_values" in json) {
      throw new TypeError("checkBaseline reads a synthesized cdk.tf.json, not a terraform plan");
    }
  }

  all(type: string): Entry[] {
    const byType = isObject(this.json.resource) ? this.json.resource[type] : undefined;
    if (!isObject(byType)) return [];
    return Object.entries(byType)
      .filter((e): e is [string, Json] => !e[0].startsWith("//") && isObject(e[1]))
      .map(([id, body]) => ({ type, id, address: `${type}.${id}`, body }));
  }

  get(type: string, id: string): Entry | undefined {
    return this.all(type).find((e) => e.id === id);
  }

  dataSource(type: string, id: string): Json | undefined {
    const byType = isObject(this.json.data) ? this.json.data[type] : undefined;
    const body = isObject(byType) ? byType[id] : undefined;
    return isObject(body) ? body : undefined;
  }
}

interface Reference {
  readonly type: string;
  readonly id: string;
  readonly attribute: string;
}

/** `${<type>.<id>.<attribute>}`, the whole value and nothing else. */
function reference(value: unknown): Reference | undefined {
  const m = /^\$\{((?:data\.)?[A-Za-z0-9_]+)\.([^.\s{}]+)\.([A-Za-z0-9_]+)\}$/.exec(String(value));
  return m?.[1] && m[2] && m[3] ? { type: m[1], id: m[2], attribute: m[3] } : undefined;
}

/**
 * The resource of `type` a value names: a reference to one of `attributes`, or a literal equal to
 * one of the values `literals` gives for that resource.
 */
function target(
  stack: Stack,
  value: unknown,
  type: string,
  attributes: ReadonlyArray<string>,
  literals: (body: Json) => unknown[] = () => [],
): Entry | undefined {
  const ref = reference(value);
  if (ref)
    return ref.type === type && attributes.includes(ref.attribute) ? stack.get(type, ref.id) : undefined;
  if (!isSet(value) || value.includes("${")) return undefined;
  return stack.all(type).find((e) => literals(e.body).includes(value));
}

const bucketNamed = (stack: Stack, value: unknown) =>
  target(stack, value, "aws_s3_bucket", ["id", "bucket"], (b) => [b.bucket]);
const functionNamed = (stack: Stack, value: unknown) =>
  target(stack, value, "aws_lambda_function", ["function_name", "arn", "qualified_arn"], (f) => [
    f.function_name,
  ]);

/** The resources of `type` whose `bucket` is this bucket. */
const ofBucket = (stack: Stack, type: string, bucket: Entry) =>
  stack.all(type).filter((e) => bucketNamed(stack, e.body.bucket)?.id === bucket.id);

// ---------------------------------------------------------------------------------------------------
// IAM policy documents, as `aws_iam_policy_document` data sources or JSON text, read alike.

interface Principal {
  readonly type: string;
  readonly identifiers: string[];
}
interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: string[];
}
interface Statement {
  /** The Sid, or `#<n>` for a statement without one. */
  readonly sid: string;
  readonly effect: string;
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
  readonly principals: Principal[];
  readonly notPrincipals: Principal[];
  readonly conditions: Condition[];
}
type Policy = { readonly statements: Statement[] } | { readonly unreadable: string };

function fromDocumentBlock(s: Json, index: number): Statement {
  const principals = (v: unknown) =>
    blocks(v).map((p) => ({ type: String(p.type), identifiers: strings(p.identifiers) }));
  return {
    sid: isSet(s.sid) ? s.sid : `#${index + 1}`,
    effect: String(s.effect ?? "Allow"),
    actions: strings(s.actions),
    notActions: strings(s.not_actions),
    resources: strings(s.resources),
    notResources: strings(s.not_resources),
    principals: principals(s.principals),
    notPrincipals: principals(s.not_principals),
    conditions: blocks(s.condition).map((c) => ({
      test: String(c.test),
      variable: String(c.variable),
      values: strings(c.values),
    })),
  };
}

function fromPolicyJson(s: Json, index: number): Statement {
  const principals = (v: unknown): Principal[] =>
    v === undefined
      ? []
      : typeof v === "string"
        ? [{ type: v === "*" ? "*" : "AWS", identifiers: [v] }]
        : isObject(v)
          ? Object.entries(v).map(([type, ids]) => ({ type, identifiers: strings(ids) }))
          : [{ type: "?", identifiers: strings(v) }];
  const condition = isObject(s.Condition) ? s.Condition : {};
  return {
    sid: isSet(s.Sid) ? s.Sid : `#${index + 1}`,
    effect: String(s.Effect ?? "Allow"),
    actions: strings(s.Action),
    notActions: strings(s.NotAction),
    resources: strings(s.Resource),
    notResources: strings(s.NotResource),
    principals: principals(s.Principal),
    notPrincipals: principals(s.NotPrincipal),
    conditions: Object.entries(condition).flatMap(([test, variables]) =>
      isObject(variables)
        ? Object.entries(variables).map(([variable, values]) => ({ test, variable, values: strings(values) }))
        : [],
    ),
  };
}

/** A policy attribute's statements, if the synthesized stack spells them out. */
function readPolicy(stack: Stack, value: unknown): Policy {
  const doc = /^\$\{data\.aws_iam_policy_document\.([^.\s{}]+)\.(?:json|minified_json)\}$/.exec(
    String(value),
  );
  if (doc?.[1]) {
    const name = `data.aws_iam_policy_document.${doc[1]}`;
    const body = stack.dataSource("aws_iam_policy_document", doc[1]);
    if (!body) return { unreadable: `${name} is not in the stack` };
    const merged = ["source_policy_documents", "override_policy_documents", "source_json", "override_json"];
    const merges = merged.filter((k) => list(body[k]).length > 0);
    if (merges.length > 0) return { unreadable: `${name} merges other documents (${merges.join(", ")})` };
    if (body.dynamic !== undefined) return { unreadable: `${name} has dynamic statements` };
    if (typeof body.statement === "string") return { unreadable: `${name}'s statements are an expression` };
    return { statements: blocks(body.statement).map(fromDocumentBlock) };
  }
  if (typeof value === "string" && !value.includes("${")) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isObject(parsed)) return { statements: blocks(parsed.Statement).map(fromPolicyJson) };
    } catch {
      // not JSON: falls through
    }
  }
  const text = String(value);
  return {
    unreadable: `${text.length > 80 ? `${text.slice(0, 77)}...` : text} is no document this check can read`,
  };
}

const sid = (s: Statement) => JSON.stringify(s.sid);

/** Where permissions are granted: identity policies and resource policies (trust policies are not). */
const PERMISSION_POLICIES: ReadonlyArray<readonly [type: string, attribute: string]> = [
  ["aws_iam_role_policy", "policy"],
  ["aws_iam_policy", "policy"],
  ["aws_iam_user_policy", "policy"],
  ["aws_iam_group_policy", "policy"],
  ["aws_s3_bucket_policy", "policy"],
  // A queue's policy may be set on the queue itself (aws_sqs_queue.policy) or as its own resource.
  ["aws_sqs_queue", "policy"],
  ["aws_sqs_queue_policy", "policy"],
  ["aws_sns_topic", "policy"],
  ["aws_sns_topic_policy", "policy"],
];

function permissionPolicies(stack: Stack): Array<{ readonly address: string; readonly policy: Policy }> {
  const out: Array<{ address: string; policy: Policy }> = [];
  for (const [type, attribute] of PERMISSION_POLICIES) {
    for (const e of stack.all(type)) {
      if (e.body[attribute] !== undefined)
        out.push({ address: e.address, policy: readPolicy(stack, e.body[attribute]) });
    }
  }
  for (const role of stack.all("aws_iam_role")) {
    for (const inline of blocks(role.body.inline_policy)) {
      if (inline.policy !== undefined)
        out.push({ address: role.address, policy: readPolicy(stack, inline.policy) });
    }
  }
  return out;
}

const isEveryone = (p: Principal) => (p.type === "*" || p.type === "AWS") && p.identifiers.includes("*");

// ---------------------------------------------------------------------------------------------------
// The rules.

/** Collects a rule's findings, one per resource. */
class Findings {
  private readonly byAddress = new Map<string, string[]>();

  add(address: string, message: string): void {
    const messages = this.byAddress.get(address) ?? [];
    if (!messages.includes(message)) messages.push(message);
    this.byAddress.set(address, messages);
  }

  list(): Finding[] {
    return [...this.byAddress].map(([address, messages]) => ({ address, message: messages.join("; ") }));
  }
}

function rule(id: string, title: string, body: (stack: Stack, found: Findings) => void): Rule {
  return {
    id,
    ...(id.startsWith("CKV") ? { checkov: id } : {}),
    title,
    check: (json) => {
      const found = new Findings();
      body(new Stack(json), found);
      return found.list();
    },
  };
}

const PUBLIC_ACCESS_FLAGS = [
  "block_public_acls",
  "block_public_policy",
  "ignore_public_acls",
  "restrict_public_buckets",
] as const;

const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

/** Services that invoke a function asynchronously (their events go to Lambda's event queue). */
const ASYNC_PRINCIPALS = new Set([
  "s3.amazonaws.com",
  "sns.amazonaws.com",
  "events.amazonaws.com",
  "logs.amazonaws.com",
  "ses.amazonaws.com",
  "iot.amazonaws.com",
]);

/** The functions some service invokes asynchronously, each with what invokes it. */
function asynchronouslyInvoked(stack: Stack): Map<string, { fn: Entry; by: string[] }> {
  const out = new Map<string, { fn: Entry; by: string[] }>();
  const add = (fn: Entry | undefined, by: string) => {
    if (!fn) return;
    const entry = out.get(fn.id) ?? { fn, by: [] };
    if (!entry.by.includes(by)) entry.by.push(by);
    out.set(fn.id, entry);
  };
  for (const p of stack.all("aws_lambda_permission")) {
    if (ASYNC_PRINCIPALS.has(String(p.body.principal)))
      add(functionNamed(stack, p.body.function_name), String(p.body.principal));
  }
  for (const n of stack.all("aws_s3_bucket_notification")) {
    for (const l of blocks(n.body.lambda_function))
      add(functionNamed(stack, l.lambda_function_arn), n.address);
  }
  for (const t of stack.all("aws_cloudwatch_event_target")) add(functionNamed(stack, t.body.arn), t.address);
  for (const s of stack.all("aws_sns_topic_subscription")) {
    if (s.body.protocol === "lambda") add(functionNamed(stack, s.body.endpoint), s.address);
  }
  return out;
}

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

/** The baseline, in the order the review lists it. */
export const RULES: ReadonlyArray<Rule> = [
  rule("CKV2_AWS_6", "S3 buckets block all public access (all four flags)", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const settings = ofBucket(stack, "aws_s3_bucket_public_access_block", bucket);
      if (settings.length === 0) {
        found.add(
          bucket.address,
          "no aws_s3_bucket_public_access_block: public ACLs and policies are not blocked",
        );
      }
      for (const s of settings) {
        const off = PUBLIC_ACCESS_FLAGS.filter((flag) => s.body[flag] !== true);
        if (off.length > 0) found.add(bucket.address, `${s.address} leaves ${off.join(", ")} off`);
      }
    }
  }),

  rule("CKV_AWS_19", "S3 buckets are encrypted at rest by default", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const configs = ofBucket(stack, "aws_s3_bucket_server_side_encryption_configuration", bucket);
      if (configs.length === 0) {
        found.add(
          bucket.address,
          "no aws_s3_bucket_server_side_encryption_configuration: no default encryption",
        );
      }
      for (const c of configs) {
        const rules = blocks(c.body.rule);
        if (rules.length === 0) found.add(bucket.address, `${c.address} has no rule`);
        for (const r of rules) {
          const algorithm = block(r.apply_server_side_encryption_by_default)?.sse_algorithm;
          if (!SSE_ALGORITHMS.includes(String(algorithm))) {
            found.add(
              bucket.address,
              `${c.address}: default sse_algorithm is ${shown(algorithm)} (expected ${SSE_ALGORITHMS.join(", ")})`,
            );
          }
        }
      }
    }
  }),

  rule("CKV_AWS_21", "S3 buckets are versioned", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const configs = ofBucket(stack, "aws_s3_bucket_versioning", bucket);
      if (configs.length === 0)
        found.add(bucket.address, "no aws_s3_bucket_versioning: the bucket is not versioned");
      for (const v of configs) {
        const status = block(v.body.versioning_configuration)?.status;
        if (status !== "Enabled")
          found.add(bucket.address, `${v.address}: versioning status is ${shown(status)}`);
      }
    }
  }),

  rule("LF_TLS_ONLY", "S3 bucket policies deny every request not made over TLS", (stack, found) => {
    for (const bucket of stack.all("aws_s3_bucket")) {
      const arns = [`\${aws_s3_bucket.${bucket.id}.arn}`];
      const name = bucket.body.bucket;
      if (isSet(name) && !name.includes("${")) arns.push(`arn:aws:s3:::${name}`);
      const policies = ofBucket(stack, "aws_s3_bucket_policy", bucket);
      if (policies.length === 0) {
        found.add(bucket.address, "no aws_s3_bucket_policy: the bucket answers requests over plain HTTP");
      }
      // Each policy resource replaces the bucket's whole policy, so each must deny plain HTTP.
      for (const p of policies) {
        const policy = readPolicy(stack, p.body.policy);
        if ("unreadable" in policy) {
          found.add(bucket.address, `${p.address} cannot be checked: ${policy.unreadable}`);
          continue;
        }
        const denies = policy.statements.some(
          (s) =>
            s.effect === "Deny" &&
            s.notActions.length === 0 &&
            s.notResources.length === 0 &&
            s.notPrincipals.length === 0 &&
            (s.actions.includes("s3:*") || s.actions.includes("*")) &&
            arns.some((arn) => s.resources.includes(arn) && s.resources.includes(`${arn}/*`)) &&
            s.principals.some(isEveryone) &&
            s.conditions.length === 1 &&
            s.conditions[0]?.test === "Bool" &&
            s.conditions[0].variable === "aws:SecureTransport" &&
            s.conditions[0].values.length === 1 &&
            s.conditions[0].values[0] === "false",
        );
        if (!denies) {
          found.add(
            bucket.address,
            `${p.address} has no statement denying s3:* on the bucket and its objects to every principal when aws:SecureTransport is false`,
          );
        }
      }
    }
  }),

  rule("CKV_AWS_28", "DynamoDB tables have point-in-time recovery", (stack, found) => {
    for (const table of stack.all("aws_dynamodb_table")) {
      const pitr = block(table.body.point_in_time_recovery);
      if (pitr?.enabled !== true) {
        found.add(
          table.address,
          `point-in-time recovery is ${pitr ? `enabled: ${shown(pitr.enabled)}` : "unset"}`,
        );
      }
    }
  }),

  rule(
    "CKV_AWS_116",
    "Asynchronously invoked functions have an SQS on-failure destination",
    (stack, found) => {
      const configs = stack.all("aws_lambda_function_event_invoke_config");
      for (const { fn, by } of asynchronouslyInvoked(stack).values()) {
        if (!configs.some((c) => functionNamed(stack, c.body.function_name)?.id === fn.id)) {
          found.add(
            fn.address,
            `invoked asynchronously (by ${by.join(", ")}) but has no aws_lambda_function_event_invoke_config: an event that fails every retry is lost`,
          );
        }
      }
      for (const c of configs) {
        const destination = block(block(c.body.destination_config)?.on_failure)?.destination;
        const ref = reference(destination);
        if (
          !(ref?.type === "aws_sqs_queue" && ref.attribute === "arn" && stack.get("aws_sqs_queue", ref.id))
        ) {
          found.add(
            c.address,
            destination === undefined
              ? "no on-failure destination"
              : `on-failure destination ${String(destination)} is not an SQS queue of this stack`,
          );
        }
      }
    },
  ),

  rule("CKV_AWS_27", "SQS queues are encrypted", (stack, found) => {
    for (const queue of stack.all("aws_sqs_queue")) {
      if (queue.body.sqs_managed_sse_enabled !== true && !isSet(queue.body.kms_master_key_id)) {
        found.add(
          queue.address,
          `not encrypted: sqs_managed_sse_enabled is ${shown(queue.body.sqs_managed_sse_enabled)} and no kms_master_key_id`,
        );
      }
    }
  }),

  rule("CKV_AWS_50", "Lambda functions are traced with X-Ray", (stack, found) => {
    for (const fn of stack.all("aws_lambda_function")) {
      const mode = block(fn.body.tracing_config)?.mode;
      if (mode !== "Active") found.add(fn.address, `X-Ray tracing mode is ${shown(mode)}, not "Active"`);
    }
  }),

  rule("CKV_AWS_73", "API Gateway stages are traced with X-Ray", (stack, found) => {
    for (const stage of stack.all("aws_api_gateway_stage")) {
      if (stage.body.xray_tracing_enabled !== true) {
        found.add(stage.address, `xray_tracing_enabled is ${shown(stage.body.xray_tracing_enabled)}`);
      }
    }
  }),

  rule("CKV_AWS_66", "Log groups have a retention period, and every function logs to one", (stack, found) => {
    const groups = stack.all("aws_cloudwatch_log_group");
    for (const g of groups) {
      if (!isPositive(g.body.retention_in_days)) {
        found.add(
          g.address,
          `retention_in_days is ${shown(g.body.retention_in_days)}: the logs never expire`,
        );
      }
    }
    for (const fn of stack.all("aws_lambda_function")) {
      const chosen = block(fn.body.logging_config)?.log_group;
      if (chosen !== undefined) {
        if (!target(stack, chosen, "aws_cloudwatch_log_group", ["name"], (g) => [g.name])) {
          found.add(fn.address, `logs to ${String(chosen)}, no log group of this stack`);
        }
        continue;
      }
      const name = `/aws/lambda/${String(fn.body.function_name)}`;
      if (!groups.some((g) => g.body.name === name)) {
        found.add(fn.address, `no aws_cloudwatch_log_group ${name}: Lambda creates it, keeping logs forever`);
      }
    }
  }),

  rule("CKV_AWS_76", "API Gateway stages write access logs", (stack, found) => {
    for (const stage of stack.all("aws_api_gateway_stage")) {
      const settings = block(stage.body.access_log_settings);
      if (!settings) {
        found.add(stage.address, "no access_log_settings: requests to the API are not logged");
        continue;
      }
      const ref = reference(settings.destination_arn);
      if (
        !(ref?.type === "aws_cloudwatch_log_group" && stack.get(ref.type, ref.id) && ref.attribute === "arn")
      ) {
        found.add(
          stage.address,
          `access logs go to ${shown(settings.destination_arn)}, not a log group of this stack`,
        );
      }
      let format: unknown;
      try {
        format = JSON.parse(String(settings.format));
      } catch {
        format = undefined;
      }
      if (
        !isObject(format) ||
        format.requestId !== "$context.requestId" ||
        format.status !== "$context.status"
      ) {
        found.add(
          stage.address,
          "access log format is not JSON with requestId and status ($context.requestId, $context.status)",
        );
      }
    }
  }),

  rule("LF_API_THROTTLING", "API Gateway stages throttle every method (rate and burst)", (stack, found) => {
    const all = stack.all("aws_api_gateway_method_settings");
    for (const stage of stack.all("aws_api_gateway_stage")) {
      const settings = all.filter((m) => {
        if (m.body.rest_api_id !== stage.body.rest_api_id) return false;
        const ref = reference(m.body.stage_name);
        return ref
          ? ref.type === "aws_api_gateway_stage" && ref.id === stage.id && ref.attribute === "stage_name"
          : m.body.stage_name === stage.body.stage_name;
      });
      if (!settings.some((m) => m.body.method_path === "*/*")) {
        found.add(
          stage.address,
          'no aws_api_gateway_method_settings for "*/*": its methods are limited only by the account-wide throttle',
        );
      }
      // A method's own settings replace the stage-wide ones, throttling included (unset: none).
      for (const m of settings) {
        const s = block(m.body.settings);
        if (!isPositive(s?.throttling_rate_limit) || !isPositive(s?.throttling_burst_limit)) {
          found.add(
            m.address,
            `${shown(m.body.method_path)}: throttling_rate_limit ${shown(s?.throttling_rate_limit)}, throttling_burst_limit ${shown(s?.throttling_burst_limit)} (both must be above 0)`,
          );
        }
      }
    }
  }),

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

/** Every rule on one synthesized stack: one violation per rule and offending resource, in rule order. */
export function checkBaseline(stack: StackJson): Violation[] {
  return RULES.flatMap((r) =>
    r.check(stack).map((f) => ({
      rule: r.id,
      ...(r.checkov ? { checkov: r.checkov } : {}),
      title: r.title,
      address: f.address,
      message: f.message,
    })),
  );
}
