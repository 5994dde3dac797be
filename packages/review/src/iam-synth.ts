import { diffPolicies, type NormalStatement, normalise, type StatementDiff } from "./iam-diff.ts";

/**
 * IAM statements read from a synthesized stack (cdk.tf.json) rather than from a plan: a plan knows a
 * policy built by `aws_iam_policy_document` only after apply, the synthesized stack always has its
 * statements. Every Terraform reference in them is rendered symbolically by construct path
 * (`${aws_s3_bucket.uploads_bucket_556152F0.arn}/uploads/*` → `arn of uploads/bucket + /uploads/*`),
 * so two versions of a stack compare statement by statement without knowing any ARN.
 */

/** A synthesized stack: the parsed `cdk.tf.json`. */
export type StackJson = Readonly<Record<string, unknown>>;

/** The attributes that hold an IAM policy document. */
export type PolicyAttribute = "policy" | "assume_role_policy";

/** One statement, normalised (lists sorted) and rendered symbolically. */
export interface SynthStatement extends NormalStatement {
  readonly notActions: ReadonlyArray<string>;
  readonly notResources: ReadonlyArray<string>;
  /** `Service lambda.amazonaws.com`, `AWS arn of x/role`, `*`; sorted. */
  readonly principalList: ReadonlyArray<string>;
  readonly notPrincipalList: ReadonlyArray<string>;
  /** `StringEquals cloudwatch:namespace = Custom/EC2` (several values joined by ` or `); sorted. */
  readonly conditionList: ReadonlyArray<string>;
}

/** One policy attribute of one resource, with the statements of the document it uses. */
export interface SynthPolicy {
  /** Terraform address of the resource holding the policy, e.g. `aws_iam_role_policy.s3-processor_policy_B24D5E3A`. */
  readonly owner: string;
  /** The owner's construct path without the stack prefix, e.g. `s3-processor/policy`. */
  readonly path: string;
  readonly attribute: PolicyAttribute;
  /** The `data.aws_iam_policy_document` address the attribute refers to; absent for literal JSON. */
  readonly document?: string;
  readonly statements: ReadonlyArray<SynthStatement>;
}

/** A statement difference, with what `StatementDiff` lacks (principals, Not* lists, condition lines). */
export interface SynthStatementDiff extends StatementDiff {
  readonly notActionsAdded: ReadonlyArray<string>;
  readonly notActionsRemoved: ReadonlyArray<string>;
  readonly notResourcesAdded: ReadonlyArray<string>;
  readonly notResourcesRemoved: ReadonlyArray<string>;
  readonly principalsAdded: ReadonlyArray<string>;
  readonly principalsRemoved: ReadonlyArray<string>;
  readonly notPrincipalsAdded: ReadonlyArray<string>;
  readonly notPrincipalsRemoved: ReadonlyArray<string>;
  readonly conditionsAdded: ReadonlyArray<string>;
  readonly conditionsRemoved: ReadonlyArray<string>;
  readonly before?: SynthStatement;
  readonly after?: SynthStatement;
}

export interface ChangedPolicy {
  readonly before: SynthPolicy;
  readonly after: SynthPolicy;
  readonly diffs: ReadonlyArray<SynthStatementDiff>;
}

/** IAM policies of a head stack compared with its base (each list ordered by construct path). */
export interface IamReview {
  readonly created: ReadonlyArray<SynthPolicy>;
  readonly changed: ReadonlyArray<ChangedPolicy>;
  readonly unchanged: ReadonlyArray<SynthPolicy>;
  readonly removed: ReadonlyArray<SynthPolicy>;
}

type Json = Record<string, unknown>;

const POLICY_ATTRIBUTES: ReadonlyArray<PolicyAttribute> = ["policy", "assume_role_policy"];
const DOCUMENT_REF = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.(?:minified_)?json\}$/;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const blocks = (v: unknown): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(isObject);
const list = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
const minus = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.filter((x) => !b.includes(x));

/** `resource` and `data` of a stack as `[address, block]`, in address order. */
function blocksOf(stack: StackJson): Array<[string, Json]> {
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
type Node =
  | { readonly t: "str"; readonly template: string }
  | { readonly t: "num"; readonly value: string }
  | { readonly t: "ref"; readonly segments: ReadonlyArray<string> }
  | { readonly t: "call"; readonly name: string; readonly args: ReadonlyArray<Node> }
  | { readonly t: "list"; readonly items: ReadonlyArray<Node> }
  | { readonly t: "index"; readonly of: Node; readonly index: Node };

class Unsupported extends Error {}

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

type Token = { readonly k: "str" | "num" | "ident" | "punct"; readonly v: string };

/** End (index of the closing brace) of the interpolation whose body starts at `from`, or -1. */
function interpolationEnd(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i] as string;
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let j = i + 1;
      let text = "";
      while (j < expression.length && expression[j] !== '"') {
        if (expression[j] === "$" && expression[j + 1] === "{") {
          const end = interpolationEnd(expression, j + 2);
          if (end < 0) throw new Unsupported("unterminated interpolation");
          text += expression.slice(j, end + 1);
          j = end + 1;
        } else if (expression[j] === "\\") {
          const e = expression[j + 1];
          text += e === "n" ? "\n" : e === "t" ? "\t" : (e ?? "");
          j += 2;
        } else text += expression[j++];
      }
      if (j >= expression.length) throw new Unsupported("unterminated string");
      tokens.push({ k: "str", v: text });
      i = j + 1;
    } else {
      const word = /^(?:[A-Za-z_][\w-]*|\d+)/.exec(expression.slice(i))?.[0];
      if (word) {
        tokens.push({ k: /^\d/.test(word) ? "num" : "ident", v: word });
        i += word.length;
      } else if ("()[],.".includes(c)) {
        tokens.push({ k: "punct", v: c });
        i++;
      } else throw new Unsupported(`operator ${c}`);
    }
  }
  return tokens;
}

function parse(expression: string): Node {
  const tokens = tokenize(expression);
  let at = 0;
  const peek = (v: string) => tokens[at]?.k === "punct" && tokens[at]?.v === v;
  const expect = (v: string) => {
    if (!peek(v)) throw new Unsupported(`expected ${v}`);
    at++;
  };
  const sequence = (close: string): Node[] => {
    const items: Node[] = [];
    while (!peek(close)) {
      items.push(expr());
      if (!peek(close)) expect(",");
    }
    expect(close);
    return items;
  };
  const primary = (): Node => {
    const token = tokens[at++];
    if (!token) throw new Unsupported("empty expression");
    if (token.k === "str") return { t: "str", template: token.v };
    if (token.k === "num") return { t: "num", value: token.v };
    if (token.k === "punct" && token.v === "[") return { t: "list", items: sequence("]") };
    if (token.k !== "ident") throw new Unsupported(`unexpected ${token.v}`);
    if (peek("(")) {
      at++;
      return { t: "call", name: token.v, args: sequence(")") };
    }
    return { t: "ref", segments: [token.v] };
  };
  const expr = (): Node => {
    let node = primary();
    for (;;) {
      if (peek(".")) {
        at++;
        const name = tokens[at++];
        if (!name || (name.k !== "ident" && name.k !== "num")) throw new Unsupported("bad attribute");
        if (node.t === "ref")
          node = { t: "ref", segments: [...node.segments, name.k === "num" ? `[${name.v}]` : name.v] };
        else if (name.k === "num") node = { t: "index", of: node, index: { t: "num", value: name.v } };
        else throw new Unsupported("attribute of an expression");
      } else if (peek("[")) {
        at++;
        const index = expr();
        expect("]");
        node =
          node.t === "ref" && index.t === "num"
            ? { t: "ref", segments: [...node.segments, `[${index.value}]`] }
            : { t: "index", of: node, index };
      } else return node;
    }
  };
  const node = expr();
  if (at !== tokens.length) throw new Unsupported("trailing tokens");
  return node;
}

/** Renders strings of one stack symbolically. */
function symbolizer(stack: StackJson): (text: string) => string {
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

// ---------------------------------------------------------------------------------------------------
// Statements and policies.

const deepMap = (v: unknown, f: (s: string) => string): unknown =>
  typeof v === "string"
    ? f(v)
    : Array.isArray(v)
      ? v.map((x) => deepMap(x, f))
      : isObject(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepMap(x, f)]))
        : v;

/** Principal lines from a synthesized `principals` block list or a JSON `Principal`. */
function principalLines(v: unknown): string[] {
  if (v === "*") return ["*"];
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const p of blocks(v))
      for (const id of list(p.identifiers)) out.push(p.type === "*" ? "*" : `${String(p.type)} ${id}`);
  } else if (isObject(v)) {
    for (const [type, ids] of Object.entries(v)) for (const id of list(ids)) out.push(`${type} ${id}`);
  }
  return sorted(out);
}

/** Condition lines from a synthesized `condition` block list or a JSON `Condition`. */
function conditionLines(v: unknown): string[] {
  const out: string[] = [];
  const line = (test: string, variable: string, values: unknown) =>
    out.push(`${test} ${variable} = ${sorted(list(values)).join(" or ")}`);
  if (Array.isArray(v)) for (const c of blocks(v)) line(String(c.test), String(c.variable), c.values);
  else if (isObject(v))
    for (const [test, byVariable] of Object.entries(v))
      if (isObject(byVariable))
        for (const [variable, values] of Object.entries(byVariable)) line(test, variable, values);
  return sorted(out);
}

function toStatement(raw: Json, index: number): SynthStatement {
  const [core] = normalise({ Statement: [raw] });
  const sid = raw.Sid ?? raw.sid;
  const principalList = principalLines(raw.Principal ?? raw.principals);
  const conditionList = conditionLines(raw.Condition ?? raw.condition);
  return {
    ...(core as NormalStatement),
    sid: sid === undefined || sid === null || sid === "" ? `#${index}` : String(sid),
    principals: principalList.length ? JSON.stringify(principalList) : "null",
    condition: conditionList.length ? JSON.stringify(conditionList) : "null",
    notActions: sorted(list(raw.NotAction ?? raw.not_actions)),
    notResources: sorted(list(raw.NotResource ?? raw.not_resources)),
    principalList,
    notPrincipalList: principalLines(raw.NotPrincipal ?? raw.not_principals),
    conditionList,
  };
}

const named = (s: SynthStatement) => !s.sid.startsWith("#");
/** Everything but the sid, to recognise an unnamed statement in another version. */
const content = (s: SynthStatement) => {
  const { sid: _sid, ...rest } = s;
  return JSON.stringify(rest);
};

/** Raw statements of a policy document, with its source and override documents merged in by sid. */
function documentStatements(documents: Json, id: string, seen: ReadonlySet<string> = new Set()): Json[] {
  const doc = documents[id];
  if (!isObject(doc) || seen.has(id)) return [];
  const inner = new Set([...seen, id]);
  const merged: Json[] = [];
  const put = (s: Json) => {
    const at = s.sid ? merged.findIndex((m) => m.sid === s.sid) : -1;
    if (at >= 0) merged[at] = s;
    else merged.push(s);
  };
  const referenced = (refs: unknown) =>
    list(refs).flatMap((ref) => {
      const match = DOCUMENT_REF.exec(ref);
      return match?.[1] ? documentStatements(documents, match[1], inner) : (literalStatements(ref) ?? []);
    });
  for (const s of referenced(doc.source_policy_documents)) put(s);
  for (const s of blocks(doc.statement)) put(s);
  for (const s of referenced(doc.override_policy_documents)) put(s);
  return merged;
}

/** Statements of a policy given as literal JSON text, or undefined when it is not one. */
function literalStatements(text: string): Json[] | undefined {
  if (!text.trim().startsWith("{")) return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    return isObject(json) && json.Statement !== undefined ? blocks(json.Statement) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every policy attribute (`policy`, `assume_role_policy`) of every resource that uses an
 * `aws_iam_policy_document` (or holds literal policy JSON), with its statements rendered
 * symbolically; ordered by construct path, then attribute.
 */
export function synthesizedPolicies(stack: StackJson): SynthPolicy[] {
  const paths = constructPaths(stack);
  const symbolic = symbolizer(stack);
  const documents = (isObject(stack.data) ? stack.data.aws_iam_policy_document : undefined) ?? {};
  const out: SynthPolicy[] = [];
  for (const [owner, block] of blocksOf(stack)) {
    if (owner.startsWith("data.")) continue;
    for (const attribute of POLICY_ATTRIBUTES) {
      const value = block[attribute];
      if (typeof value !== "string") continue;
      const id = DOCUMENT_REF.exec(value)?.[1];
      const raw = id ? documentStatements(documents as Json, id) : literalStatements(value);
      if (!raw || (id && !isObject((documents as Json)[id]))) continue;
      out.push({
        owner,
        path: paths.get(owner) ?? owner,
        attribute,
        ...(id ? { document: `data.aws_iam_policy_document.${id}` } : {}),
        statements: raw.map((s, i) => toStatement(deepMap(s, symbolic) as Json, i)),
      });
    }
  }
  const key = (p: SynthPolicy) => `${p.path}\u0000${p.attribute}\u0000${p.owner}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const policyLabel = (p: SynthPolicy) => `${p.owner}${p.attribute === "policy" ? "" : ` (${p.attribute})`}`;

/**
 * Pairs the statements of two versions: by sid, then unnamed ones by identical content, then
 * unnamed ones sharing an action; the rest count as added or removed.
 */
function pairStatements(
  before: ReadonlyArray<SynthStatement>,
  after: ReadonlyArray<SynthStatement>,
): Array<[SynthStatement | undefined, SynthStatement | undefined]> {
  const partner = new Map<number, number>();
  const taken = new Set<number>();
  const match = (ok: (a: SynthStatement, b: SynthStatement) => boolean) =>
    after.forEach((a, i) => {
      if (partner.has(i)) return;
      const j = before.findIndex((b, j) => !taken.has(j) && ok(a, b));
      if (j < 0) return;
      partner.set(i, j);
      taken.add(j);
    });
  match((a, b) => named(a) && named(b) && a.sid === b.sid);
  match((a, b) => !named(a) && !named(b) && content(a) === content(b));
  const overlap = (x: ReadonlyArray<string>, y: ReadonlyArray<string>) => x.some((v) => y.includes(v));
  match(
    (a, b) =>
      !named(a) && !named(b) && (overlap(a.actions, b.actions) || overlap(a.notActions, b.notActions)),
  );
  const pairs: Array<[SynthStatement | undefined, SynthStatement | undefined]> = after.map((a, i) => {
    const j = partner.get(i);
    return [j === undefined ? undefined : before[j], a];
  });
  before.forEach((b, j) => {
    if (!taken.has(j)) pairs.push([b, undefined]);
  });
  return pairs;
}

/** Statement-level differences between two versions of one synthesized policy. */
export function diffSynthPolicies(before: SynthPolicy, after: SynthPolicy): SynthStatementDiff[] {
  const label = policyLabel(after);
  const out: SynthStatementDiff[] = [];
  for (const [b, a] of pairStatements(before.statements, after.statements)) {
    const sid = (a ?? b)?.sid ?? "";
    const [core] = diffPolicies(label, b ? [{ ...b, sid }] : [], a ? [{ ...a, sid }] : []);
    const both = (pick: (s: SynthStatement) => ReadonlyArray<string>) => [
      minus(a ? pick(a) : [], b ? pick(b) : []),
      minus(b ? pick(b) : [], a ? pick(a) : []),
    ];
    const [notActionsAdded = [], notActionsRemoved = []] = both((s) => s.notActions);
    const [notResourcesAdded = [], notResourcesRemoved = []] = both((s) => s.notResources);
    const [principalsAdded = [], principalsRemoved = []] = both((s) => s.principalList);
    const [notPrincipalsAdded = [], notPrincipalsRemoved = []] = both((s) => s.notPrincipalList);
    const [conditionsAdded = [], conditionsRemoved = []] = both((s) => s.conditionList);
    const extras = {
      notActionsAdded,
      notActionsRemoved,
      notResourcesAdded,
      notResourcesRemoved,
      principalsAdded,
      principalsRemoved,
      notPrincipalsAdded,
      notPrincipalsRemoved,
      conditionsAdded,
      conditionsRemoved,
    };
    if (!core && Object.values(extras).every((x) => x.length === 0)) continue;
    out.push({
      ...(core ?? {
        policy: label,
        sid,
        kind: "changed",
        actionsAdded: [],
        actionsRemoved: [],
        resourcesAdded: [],
        resourcesRemoved: [],
      }),
      ...extras,
      ...(b ? { before: b } : {}),
      ...(a ? { after: a } : {}),
    });
  }
  return out;
}

/**
 * The head's policies against the base's: a policy is matched by owner address and attribute,
 * else by the owner's construct path and attribute (a renamed logical id). Without a base every
 * policy is created.
 */
export function iamReview(base: StackJson | undefined, head: StackJson): IamReview {
  const before = base ? synthesizedPolicies(base) : [];
  const after = synthesizedPolicies(head);
  const partner = new Map<SynthPolicy, SynthPolicy>();
  const taken = new Set<SynthPolicy>();
  for (const same of [
    (a: SynthPolicy, b: SynthPolicy) => a.owner === b.owner,
    (a: SynthPolicy, b: SynthPolicy) => a.path === b.path,
  ]) {
    for (const a of after) {
      if (partner.has(a)) continue;
      const b = before.find((b) => !taken.has(b) && b.attribute === a.attribute && same(a, b));
      if (!b) continue;
      partner.set(a, b);
      taken.add(b);
    }
  }
  const created: SynthPolicy[] = [];
  const changed: ChangedPolicy[] = [];
  const unchanged: SynthPolicy[] = [];
  for (const a of after) {
    const b = partner.get(a);
    if (!b) {
      created.push(a);
      continue;
    }
    const diffs = diffSynthPolicies(b, a);
    if (diffs.length) changed.push({ before: b, after: a, diffs });
    else unchanged.push(a);
  }
  return { created, changed, unchanged, removed: before.filter((b) => !taken.has(b)) };
}

// ---------------------------------------------------------------------------------------------------
// Markdown.

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** A line safe inside a fenced block. */
const fenced = (s: string) => s.replace(/`{3,}/g, (m) => "'".repeat(m.length));

/** One line per effect, action, resource, principal and condition of a statement. */
export function statementLines(s: SynthStatement): string[] {
  return [
    `Effect: ${s.effect}`,
    ...s.actions.map((x) => `Action: ${x}`),
    ...s.notActions.map((x) => `NotAction: ${x}`),
    ...s.resources.map((x) => `Resource: ${x}`),
    ...s.notResources.map((x) => `NotResource: ${x}`),
    ...s.principalList.map((x) => `Principal: ${x}`),
    ...s.notPrincipalList.map((x) => `NotPrincipal: ${x}`),
    ...s.conditionList.map((x) => `Condition: ${x}`),
  ].map(fenced);
}

function diffLines(d: SynthStatementDiff): string[] {
  const lines = [`@@ statement ${d.sid} (${d.kind}) @@`];
  if (d.kind === "added" && d.after) return [...lines, ...statementLines(d.after).map((l) => `+ ${l}`)];
  if (d.kind === "removed" && d.before) return [...lines, ...statementLines(d.before).map((l) => `- ${l}`)];
  const pair = (name: string, removed: ReadonlyArray<string>, added: ReadonlyArray<string>) => [
    ...removed.map((x) => `- ${name}: ${fenced(x)}`),
    ...added.map((x) => `+ ${name}: ${fenced(x)}`),
  ];
  return [
    ...lines,
    ...(d.effect ? pair("Effect", [d.effect.before], [d.effect.after]) : []),
    ...pair("Action", d.actionsRemoved, d.actionsAdded),
    ...pair("NotAction", d.notActionsRemoved, d.notActionsAdded),
    ...pair("Resource", d.resourcesRemoved, d.resourcesAdded),
    ...pair("NotResource", d.notResourcesRemoved, d.notResourcesAdded),
    ...pair("Principal", d.principalsRemoved, d.principalsAdded),
    ...pair("NotPrincipal", d.notPrincipalsRemoved, d.notPrincipalsAdded),
    ...pair("Condition", d.conditionsRemoved, d.conditionsAdded),
  ];
}

const title = (p: SynthPolicy, what: string, was?: SynthPolicy) =>
  `**${code(p.path)}** ${code(p.attribute)} — ${what} · ${code(p.owner)}${
    was && was.owner !== p.owner ? ` (was ${code(was.owner)})` : ""
  }`;

/**
 * Markdown lines for the "#### IAM" section (ending with a blank line): changed policies as a diff
 * block per policy, created ones with every statement, removed ones with every statement removed;
 * unchanged policies are only counted.
 */
export function renderIamSection(review: IamReview): string[] {
  const lines = ["#### IAM", ""];
  const { created, changed, unchanged, removed } = review;
  if (created.length + changed.length + removed.length === 0) {
    const n = unchanged.length;
    return [...lines, `_no IAM changes_ (${n} ${n === 1 ? "policy" : "policies"} unchanged)`, ""];
  }
  lines.push(
    `${changed.length} changed · ${created.length} created · ${removed.length} removed · ${unchanged.length} unchanged`,
    "",
  );
  for (const c of changed) {
    lines.push(title(c.after, "changed", c.before), "", "```diff", ...c.diffs.flatMap(diffLines), "```", "");
  }
  for (const p of created) {
    lines.push(title(p, "created"), "", "```text");
    for (const s of p.statements) lines.push(`statement ${s.sid}`, ...statementLines(s).map((l) => `  ${l}`));
    lines.push("```", "");
  }
  for (const p of removed) {
    lines.push(title(p, "removed"), "", "```diff");
    for (const s of p.statements)
      lines.push(`@@ statement ${s.sid} (removed) @@`, ...statementLines(s).map((l) => `- ${l}`));
    lines.push("```", "");
  }
  return lines;
}
