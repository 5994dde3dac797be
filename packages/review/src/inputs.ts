import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { upsertComment } from "./github.ts";
import { type ChangeSet, parsePlan } from "./plan.ts";
import { renderComment } from "./render.ts";
import { diffSynth } from "./synth-diff.ts";

/** Where `pnpm review` takes its change sets from: a plan file, two synthesized trees, or the offline plans. */
export interface ReviewSources {
  /** The repository root (where `pnpm-workspace.yaml` is). */
  readonly root: string;
  /** A `terraform show -json` plan, with the stack it is of. */
  readonly plan?: string;
  readonly stack?: string;
  /** `terraform show -no-color` output for the folded full plan. */
  readonly planText?: string;
  /** Two `cdktf.out` directories (or two `cdk.tf.json` files) for an offline review. */
  readonly base?: string;
  readonly head?: string;
}

/** One comment to render: a stack's change set and, when given, the plan's text. */
export interface ReviewInput {
  readonly set: ChangeSet;
  readonly planText?: string;
}

/** Review inputs that cannot be used: said plainly, with what to do instead. */
export class ReviewInputError extends Error {
  override readonly name = "ReviewInputError";
}

/** A cdktf.out directory's stacks (name → cdk.tf.json text), or one cdk.tf.json file as `stack`. */
function stackFiles(path: string, stack: string): Map<string, string> {
  if (path.endsWith(".json")) return new Map([[stack, readFileSync(path, "utf8")]]);
  const dir = join(path, "stacks");
  if (!existsSync(dir))
    throw new ReviewInputError(
      `${path} has no stacks/ directory; give a cdktf.out directory or a cdk.tf.json file.`,
    );
  return new Map(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name, "cdk.tf.json"), "utf8")]),
  );
}

/**
 * Finds what to review: `--base`/`--head` (an offline diff of two synthesized trees), `--plan`
 * (one plan file), or else every offline plan `pnpm plan:offline` wrote.
 *
 * @throws {ReviewInputError} when the inputs are incomplete or none are found.
 */
export function reviewInputs(sources: ReviewSources): ReviewInput[] {
  const planText = sources.planText ? readFileSync(sources.planText, "utf8") : undefined;
  const stack = sources.stack ?? "stack";
  if (sources.base || sources.head) {
    if (!sources.base || !sources.head)
      throw new ReviewInputError(
        "--base and --head go together (two cdktf.out directories or cdk.tf.json files).",
      );
    const base = stackFiles(sources.base, stack);
    return [...stackFiles(sources.head, stack)].map(([name, text]) => ({
      set: diffSynth(base.get(name) ?? '{"resource":{}}', text, name),
    }));
  }
  if (sources.plan) return [{ set: parsePlan(readFileSync(sources.plan, "utf8"), stack), planText }];
  const offline = join(sources.root, "packages", "infra", "cdktf.out", "offline");
  const stacks = existsSync(offline)
    ? readdirSync(offline)
        .filter((s) => existsSync(join(offline, s, "plan.json")))
        .sort()
    : [];
  if (stacks.length === 0)
    throw new ReviewInputError(
      "No offline plans found. Run `pnpm plan:offline` first, or pass --plan / --base and --head.",
    );
  return stacks.map((name) => ({
    set: parsePlan(readFileSync(join(offline, name, "plan.json"), "utf8"), name),
  }));
}

/** The commit a review is of: `--sha`, GitHub's `GITHUB_SHA`, or the checkout's HEAD. */
export function reviewedCommit(root: string, sha?: string): string {
  return (
    sha ??
    process.env.GITHUB_SHA ??
    (spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).stdout ?? "").trim()
  );
}

/** The tool versions a comment names: terraform's from the CLI, cdktf's and the provider's from the pnpm catalog. */
export function toolVersions(root: string): Record<string, string> {
  const terraform = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  let terraformVersion: string | undefined;
  try {
    terraformVersion = (JSON.parse(terraform.stdout ?? "") as { terraform_version?: string })
      .terraform_version;
  } catch {
    terraformVersion = undefined;
  }
  const workspace = parseYaml(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")) as {
    catalog?: Record<string, string>;
  };
  const catalog = workspace.catalog ?? {};
  return {
    ...(terraformVersion ? { terraform: terraformVersion } : {}),
    cdktf: catalog.cdktf ?? "?",
    "@cdktf/provider-aws": catalog["@cdktf/provider-aws"] ?? "?",
  };
}

/** Where rendered comments go: a directory, the pull request, or standard output. */
export interface Delivery {
  readonly sha: string;
  readonly versions: Readonly<Record<string, string>>;
  /** Also write `<stack>.md` files here. */
  readonly out?: string;
  /** Post (or update) one sticky comment per stack on this pull request instead of printing. */
  readonly post?: {
    readonly repo: string;
    readonly pr: number;
    readonly token: string;
    readonly api?: string;
  };
  readonly print: (comment: string) => void;
  readonly log: (line: string) => void;
}

/** Renders each input's comment and delivers it. */
export async function deliverReviews(inputs: ReadonlyArray<ReviewInput>, delivery: Delivery): Promise<void> {
  for (const { set, planText } of inputs) {
    const comment = renderComment(set, { sha: delivery.sha, versions: delivery.versions, planText });
    if (delivery.out) {
      mkdirSync(delivery.out, { recursive: true });
      writeFileSync(join(delivery.out, `${set.stack}.md`), comment);
    }
    if (delivery.post) {
      const result = await upsertComment({ ...delivery.post, stack: set.stack, body: comment });
      delivery.log(`${set.stack}: comment ${result.action} (${result.id})`);
    } else {
      delivery.print(comment);
    }
  }
}
