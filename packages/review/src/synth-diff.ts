import { type ChangeSet, PlanFormatError, type ResourceChange } from "./plan.ts";

type Json = Record<string, unknown>;

function readStack(text: string, label: string): Json {
  try {
    const json = JSON.parse(text) as Json;
    if (typeof json !== "object" || json === null || (!json.resource && !json.terraform))
      throw new Error("no resource or terraform block");
    return json;
  } catch (error) {
    throw new PlanFormatError(`${label} is not a synthesized cdk.tf.json (${(error as Error).message}).`);
  }
}

const strip = (r: Json) => {
  const { "//": _metadata, ...rest } = r;
  return rest;
};

/**
 * An offline change set from two synthesized stacks (base branch and head), for pull requests that
 * get no cloud credentials. Resources are matched by type and logical id. IAM policies built by
 * `aws_iam_policy_document` are rendered as JSON onto the resources that use them, so their
 * statements can be compared.
 */
export function diffSynth(baseText: string, headText: string, stack: string): ChangeSet {
  const base = readStack(baseText, `${stack} (base)`);
  const head = readStack(headText, `${stack} (head)`);
  const resources = (json: Json) => (json.resource ?? {}) as Record<string, Record<string, Json>>;
  const documents = (json: Json) =>
    ((json.data as Json | undefined)?.aws_iam_policy_document ?? {}) as Record<string, Json>;
  const inlinePolicies = (json: Json, r: Json): Json => {
    const out: Json = { ...r };
    for (const key of ["policy", "assume_role_policy"]) {
      const match = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(r[key] ?? ""));
      const doc = match?.[1] ? documents(json)[match[1]] : undefined;
      if (doc) out[key] = JSON.stringify({ Statement: doc.statement ?? [] });
    }
    return out;
  };
  const changes: ResourceChange[] = [];
  const types = [...new Set([...Object.keys(resources(base)), ...Object.keys(resources(head))])].sort();
  for (const type of types) {
    const b = resources(base)[type] ?? {};
    const h = resources(head)[type] ?? {};
    for (const id of [...new Set([...Object.keys(b), ...Object.keys(h)])].sort()) {
      const before = b[id] ? inlinePolicies(base, strip(b[id] as Json)) : null;
      const after = h[id] ? inlinePolicies(head, strip(h[id] as Json)) : null;
      const actions = !before
        ? ["create"]
        : !after
          ? ["delete"]
          : JSON.stringify(before) === JSON.stringify(after)
            ? ["no-op"]
            : ["update"];
      if (actions[0] === "no-op") continue;
      changes.push({ address: `${type}.${id}`, type, actions, before, after, afterUnknown: {} });
    }
  }
  return { stack, source: "synth-diff", changes };
}
