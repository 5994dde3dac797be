import { RULES, type Violation } from "@lambdaform/infra/policy";

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** Text for one table cell: no line breaks, no column separators. */
const cell = (s: string) => s.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
const rules = (n: number) => `${n} rule${n === 1 ? "" : "s"}`;

/**
 * The "Policy checks" section of a stack's comment: the security baseline's violations
 * (`checkBaseline` of `@lambdaform/infra/policy` on the synthesized stack), one table row each,
 * or the number of rules that passed.
 */
export function policySection(violations: ReadonlyArray<Violation>): string[] {
  const lines = ["#### Policy checks", ""];
  if (violations.length === 0) return [...lines, `✅ ${rules(RULES.length)} passed`, ""];
  const failed = new Set(violations.map((v) => v.rule));
  const passed = RULES.filter((r) => !failed.has(r.id)).length;
  lines.push(
    `❌ ${violations.length} violation${violations.length === 1 ? "" : "s"} of ${rules(failed.size)}; ${rules(passed)} passed`,
    "",
    "| rule | resource | problem |",
    "| --- | --- | --- |",
  );
  for (const v of violations) {
    // checkov's ID where the rule is checkov's, otherwise lambdaform's own.
    const rule = `${code(v.checkov ?? v.rule)} ${cell(v.title)}`;
    lines.push(`| ${rule} | ${code(v.address)} | ${cell(v.message)} |`);
  }
  return [...lines, ""];
}
