/** IAM wildcard matching, for plain strings and per ARN component. */

/**
 * A policy string after variable substitution: policy text, where `*` and `?` are wildcards, and
 * literal text (a variable's value, or `${*}`, `${?}`, `${$}`), where they are not.
 */
export type Pattern = ReadonlyArray<{ readonly text: string; readonly literal: boolean }>;

/** A policy string with no variables in it. */
export const plain = (text: string): Pattern => [{ text, literal: false }];

/** The characters of a pattern, wildcards taken literally (for the `…Equals` operators). */
export const patternText = (pattern: Pattern): string => pattern.map((part) => part.text).join("");

const escapeChar = (char: string) => char.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The pattern as an anchored regular expression. With `arn`, wildcards before the fifth colon stay
 * within their ARN component (ArnLike checks "each of the six colon-delimited components
 * separately"); the resource part after it may contain colons and its wildcards may span them.
 */
export function patternRegExp(pattern: Pattern, options: { caseInsensitive?: boolean; arn?: boolean } = {}) {
  let colons = 0;
  let source = "";
  for (const part of pattern) {
    for (const char of part.text) {
      const inComponent = options.arn === true && colons < 5;
      if (!part.literal && char === "*") source += inComponent ? "[^:]*" : ".*";
      else if (!part.literal && char === "?") source += inComponent ? "[^:]" : ".";
      else source += escapeChar(char);
      if (char === ":") colons++;
    }
  }
  return new RegExp(`^${source}$`, options.caseInsensitive ? "isu" : "su");
}

/** IAM wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  return patternRegExp(plain(pattern), { caseInsensitive }).test(value);
}

/** ArnEquals / ArnLike (which AWS documents as identical): wildcards match within one component. */
export function arnMatch(pattern: Pattern, value: string): boolean {
  const [only] = pattern;
  if (pattern.length === 1 && only?.text === "*" && !only.literal) return true;
  return patternRegExp(pattern, { arn: true }).test(value);
}
