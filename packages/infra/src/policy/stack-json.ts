/**
 * Lookups in a synthesized stack (the parsed `cdk.tf.json`, Terraform JSON syntax) for the
 * baseline's rules: resources by type, data sources, and what a reference or a literal names.
 */

/** A synthesized stack: `JSON.parse` of its `cdk.tf.json`. */
export interface StackJson {
  readonly resource?: unknown;
  readonly data?: unknown;
  readonly [key: string]: unknown;
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const list = (v: unknown): unknown[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
export const strings = (v: unknown): string[] => list(v).map(String);
export const blocks = (v: unknown): Json[] => list(v).filter(isObject);
/** A nested block: Terraform JSON allows one object or a list of them. */
export const block = (v: unknown): Json | undefined => blocks(v)[0];
export const shown = (v: unknown): string => (v === undefined ? "unset" : JSON.stringify(v));
export const isPositive = (v: unknown): boolean => typeof v === "number" && v > 0;
export const isSet = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

export interface Entry {
  readonly type: string;
  readonly id: string;
  readonly address: string;
  readonly body: Json;
}

/** Lookups in one synthesized stack. */
export class Stack {
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

export interface Reference {
  readonly type: string;
  readonly id: string;
  readonly attribute: string;
}

/** `${<type>.<id>.<attribute>}`, the whole value and nothing else. */
export function reference(value: unknown): Reference | undefined {
  const m = /^\$\{((?:data\.)?[A-Za-z0-9_]+)\.([^.\s{}]+)\.([A-Za-z0-9_]+)\}$/.exec(String(value));
  return m?.[1] && m[2] && m[3] ? { type: m[1], id: m[2], attribute: m[3] } : undefined;
}

/**
 * The resource of `type` a value names: a reference to one of `attributes`, or a literal equal to
 * one of the values `literals` gives for that resource.
 */
export function target(
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

export const bucketNamed = (stack: Stack, value: unknown) =>
  target(stack, value, "aws_s3_bucket", ["id", "bucket"], (b) => [b.bucket]);
export const functionNamed = (stack: Stack, value: unknown) =>
  target(stack, value, "aws_lambda_function", ["function_name", "arn", "qualified_arn"], (f) => [
    f.function_name,
  ]);

/** The resources of `type` whose `bucket` is this bucket. */
export const ofBucket = (stack: Stack, type: string, bucket: Entry) =>
  stack.all(type).filter((e) => bucketNamed(stack, e.body.bucket)?.id === bucket.id);
