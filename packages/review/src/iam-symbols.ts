/**
 * Symbolic rendering of a synthesized stack's Terraform templates, for the IAM review: every
 * `${…}` interpolation becomes `<attribute> of <construct path>`
 * (`${aws_s3_bucket.uploads_bucket_556152F0.arn}/uploads/*` → `arn of uploads/bucket + /uploads/*`),
 * so two versions of a stack compare without knowing any ARN.
 */
import type { StackJson } from "./iam-synth.ts";
import { interpolationEnd, type Node, parse, Unsupported } from "./terraform-expression.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** `resource` and `data` of a stack as `[address, block]`, in address order. */
export function blocksOf(stack: StackJson): Array<[string, Json]> {
  const out: Array<[string, Json]> = [];
  const add = (group: unknown, prefix: string) => {
    if (!isObject(group)) return;
    for (const [type, byName] of Object.entries(group)) {
      if (!isObject(byName)) continue;
      for (const [name, block] of Object.entries(byName))
        if (isObject(block)) out.push([`${prefix}${type}.${name}`, block]);
    }
  };
  add(stack.resource, "");
  add(stack.data, "data.");
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Terraform address (`aws_s3_bucket.uploads_bucket_556152F0`, `data.aws_iam_policy_document.x`) → construct path without the stack prefix (`uploads/bucket`). */
export function constructPaths(stack: StackJson): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [address, block] of blocksOf(stack)) {
    const meta = (block["//"] as Json | undefined)?.metadata as Json | undefined;
    if (typeof meta?.path !== "string") continue;
    const slash = meta.path.indexOf("/");
    paths.set(address, slash < 0 ? meta.path : meta.path.slice(slash + 1));
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------------
// Symbolic rendering of Terraform templates: `${…}` interpolations become `<attr> of <construct path>`.

interface Part {
  readonly text: string;
  readonly symbolic: boolean;
}
type Value =
  | { readonly kind: "text"; readonly parts: ReadonlyArray<Part> }
  | { readonly kind: "list"; readonly items: ReadonlyArray<Value> }
  /** `split(sep, x)` of a string not known before apply. */
  | { readonly kind: "split"; readonly sep: string; readonly of: ReadonlyArray<Part> };

const literal = (text: string): Value => ({ kind: "text", parts: [{ text, symbolic: false }] });
const symbol = (text: string): Value => ({ kind: "text", parts: [{ text, symbolic: true }] });
/** Names of the colon-separated fields of an ARN. */
const ARN_FIELDS = ["arn", "partition", "service", "region", "account id", "resource"];
/** Data sources that name a fact of the deployment rather than a resource. */
const FACTS: Record<string, Record<string, string>> = {
  aws_caller_identity: { account_id: "account id" },
  aws_region: { name: "region", region: "region", id: "region" },
  aws_partition: { partition: "partition", dns_suffix: "dns suffix" },
};

/** Renders strings of one stack symbolically. */
export function symbolizer(stack: StackJson): (text: string) => string {
  const paths = constructPaths(stack);
  const resourceTypes = new Set(Object.keys(isObject(stack.resource) ? stack.resource : {}));

  const reference = (segments: ReadonlyArray<string>): string => {
    const join = (s: ReadonlyArray<string>) =>
      s.map((x, i) => (i === 0 || x.startsWith("[") ? x : `.${x}`)).join("");
    const isData = segments[0] === "data";
    const [type, name, ...rest] = isData ? segments.slice(1) : segments;
    if (!type || !name || (!isData && !resourceTypes.has(type))) return join(segments);
    const fact = isData ? FACTS[type]?.[rest.join(".")] : undefined;
    if (fact) return fact;
    const address = `${isData ? "data." : ""}${type}.${name}`;
    let subject = paths.get(address) ?? address;
    let i = 0;
    for (; i < rest.length && rest[i]?.startsWith("["); i++) subject += rest[i];
    const attribute = join(rest.slice(i));
    return attribute ? `${attribute} of ${subject}` : subject;
  };

  const textOf = (v: Value): ReadonlyArray<Part> => {
    if (v.kind === "text") return v.parts;
    if (v.kind === "split") return [{ text: `split(${v.sep}, ${render(v.of)})`, symbolic: true }];
    return [{ text: `[${v.items.map((item) => render(textOf(item))).join(", ")}]`, symbolic: true }];
  };
  const literalOf = (v: Value): string | undefined =>
    v.kind === "text" && v.parts.every((p) => !p.symbolic) ? v.parts.map((p) => p.text).join("") : undefined;
  const item = (from: Value, index: Value): Value => {
    const i = Number(literalOf(index));
    if (!Number.isInteger(i)) throw new Unsupported("index not a number");
    if (from.kind === "list") {
      const picked = from.items[((i % from.items.length) + from.items.length) % from.items.length];
      if (!picked) throw new Unsupported("index of an empty list");
      return picked;
    }
    if (from.kind === "split" && from.sep === ":" && from.of.length === 1 && ARN_FIELDS[i]) {
      const source = (from.of[0] as Part).text;
      const subject = source.startsWith("arn of ") ? source.slice("arn of ".length) : `(${source})`;
      return i === 0 ? literal("arn") : symbol(`${ARN_FIELDS[i]} of ${subject}`);
    }
    throw new Unsupported("index of a value known only after apply");
  };

  const evaluate = (node: Node): Value => {
    switch (node.t) {
      case "str":
        return { kind: "text", parts: template(node.template) };
      case "num":
        return literal(node.value);
      case "ref":
        return symbol(reference(node.segments));
      case "list":
        return { kind: "list", items: node.items.map(evaluate) };
      case "index":
        return item(evaluate(node.of), evaluate(node.index));
      case "call": {
        const args = node.args.map(evaluate);
        const [a, b] = args;
        if (node.name === "element" && a && b && args.length === 2) return item(a, b);
        const sep = a ? literalOf(a) : undefined;
        if (node.name === "join" && sep !== undefined && b?.kind === "list" && args.length === 2) {
          const parts: Part[] = [];
          b.items.forEach((x, i) => {
            if (i > 0) parts.push({ text: sep, symbolic: false });
            parts.push(...textOf(x));
          });
          return { kind: "text", parts };
        }
        if (node.name === "split" && sep !== undefined && b && args.length === 2) {
          const whole = literalOf(b);
          return whole === undefined
            ? { kind: "split", sep, of: textOf(b) }
            : { kind: "list", items: whole.split(sep).map(literal) };
        }
        if (node.name === "format" && sep !== undefined) {
          const parts: Part[] = [];
          let next = 1;
          for (const piece of sep.split(/(%%|%[sdv])/)) {
            if (piece === "%%") parts.push({ text: "%", symbolic: false });
            else if (/^%[sdv]$/.test(piece)) parts.push(...textOf(args[next++] ?? literal(piece)));
            else parts.push({ text: piece, symbolic: false });
          }
          return { kind: "text", parts };
        }
        throw new Unsupported(`function ${node.name}`);
      }
    }
  };

  /** An expression this renderer cannot evaluate: its text, with references rendered. */
  const fallback = (expression: string): string =>
    expression
      .split(/("(?:[^"\\]|\\.)*")/)
      .map((piece, i) =>
        i % 2 === 1
          ? piece
          : piece.replace(/(?<![\w.-])[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])+/g, (ref) =>
              reference(ref.split(/\.|(?=\[)/)),
            ),
      )
      .join("");

  function template(s: string): Part[] {
    const parts: Part[] = [];
    let text = "";
    let i = 0;
    while (i < s.length) {
      if (s.startsWith("$${", i) || s.startsWith("%%{", i)) {
        text += s.slice(i + 1, i + 3);
        i += 3;
      } else if (s.startsWith("${", i)) {
        const end = interpolationEnd(s, i + 2);
        if (end < 0) {
          text += s.slice(i);
          break;
        }
        const expression = s
          .slice(i + 2, end)
          .replace(/^~|~$/g, "")
          .trim();
        if (text) parts.push({ text, symbolic: false });
        text = "";
        try {
          parts.push(...textOf(evaluate(parse(expression))));
        } catch (error) {
          if (!(error instanceof Unsupported)) throw error;
          parts.push({ text: fallback(expression), symbolic: true });
        }
        i = end + 1;
      } else text += s[i++];
    }
    if (text) parts.push({ text, symbolic: false });
    return parts;
  }

  function render(parts: ReadonlyArray<Part>): string {
    const merged: string[] = [];
    let pending: string | undefined;
    for (const p of parts) {
      if (p.symbolic) {
        if (pending) merged.push(pending);
        pending = undefined;
        merged.push(p.text);
      } else pending = (pending ?? "") + p.text;
    }
    if (pending) merged.push(pending);
    return merged.join(" + ");
  }

  return (text) => (text.includes("${") || text.includes("%{") ? render(template(text)) : text);
}
