/**
 * The part of Terraform's expression language a synthesized stack's IAM templates use: string
 * templates, numbers, references, function calls, lists and indexes, parsed into a small tree.
 * Anything else is {@link Unsupported}, and the caller shows the text as it is.
 */

/** An expression the parser does not take (a for expression, a conditional, …). */
export class Unsupported extends Error {}

export type Node =
  | { readonly t: "str"; readonly template: string }
  | { readonly t: "num"; readonly value: string }
  | { readonly t: "ref"; readonly segments: ReadonlyArray<string> }
  | { readonly t: "call"; readonly name: string; readonly args: ReadonlyArray<Node> }
  | { readonly t: "list"; readonly items: ReadonlyArray<Node> }
  | { readonly t: "index"; readonly of: Node; readonly index: Node };

type Token = { readonly k: "str" | "num" | "ident" | "punct"; readonly v: string };

/** End (index of the closing brace) of the interpolation whose body starts at `from`, or -1. */
export function interpolationEnd(s: string, from: number): number {
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

export function parse(expression: string): Node {
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
