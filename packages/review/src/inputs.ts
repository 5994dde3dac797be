import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type ComposeOptions, composeReview } from "./compose.ts";
import { syncLabels, upsertComment } from "./github.ts";
import { type ChangeSet, parsePlan } from "./plan.ts";
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
  /**
   * With `--plan`: the head's and the base branch's synthesized `cdktf.out` (the head's defaults to
   * packages/infra/cdktf.out): construct paths, every IAM statement and the cost come from them.
   */
  readonly synth?: string;
  readonly baseSynth?: string;
  /** `terraform state pull` output of the state the plan was made against: its lineage and serial. */
  readonly state?: string;
}

/** One comment to render: a stack's change set and, when given, the plan's text. */
export interface ReviewInput {
  readonly set: ChangeSet;
  readonly planText?: string;
  /** The stack as synthesized on the head and on the base branch, when known. */
  readonly head?: Record<string, unknown>;
  readonly base?: Record<string, unknown>;
  /** The state the plan was made against. */
  readonly state?: { readonly lineage?: string; readonly serial?: number };
}

const parseJson = (text: string | undefined) =>
  text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);

/** A stack's synthesized JSON from a cdktf.out directory, when it is there. */
function synthesized(dir: string | undefined, stack: string): Record<string, unknown> | undefined {
  if (!dir) return undefined;
  const file = join(dir, "stacks", stack, "cdk.tf.json");
  return existsSync(file) ? parseJson(readFileSync(file, "utf8")) : undefined;
}

/** The lineage and serial of a `terraform state pull`. */
function stateOf(path: string | undefined): ReviewInput["state"] {
  if (!path) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, "utf8")) as { lineage?: unknown; serial?: unknown };
    return {
      ...(typeof state.lineage === "string" ? { lineage: state.lineage } : {}),
      ...(typeof state.serial === "number" ? { serial: state.serial } : {}),
    };
  } catch (error) {
    throw new ReviewInputError(`--state ${path} is not a terraform state (${(error as Error).message}).`);
  }
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
      head: parseJson(text),
      ...(base.has(name) ? { base: parseJson(base.get(name)) } : {}),
    }));
  }
  const headSynth = sources.synth ?? join(sources.root, "packages", "infra", "cdktf.out");
  if (sources.plan) {
    const head = synthesized(headSynth, stack);
    const base = synthesized(sources.baseSynth, stack);
    const state = stateOf(sources.state);
    return [
      {
        set: parsePlan(readFileSync(sources.plan, "utf8"), stack),
        planText,
        ...(head ? { head } : {}),
        ...(base ? { base } : {}),
        ...(state ? { state } : {}),
      },
    ];
  }
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
  return stacks.map((name) => {
    const head = synthesized(headSynth, name);
    return {
      set: parsePlan(readFileSync(join(offline, name, "plan.json"), "utf8"), name),
      ...(head ? { head } : {}),
    };
  });
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
export interface Delivery extends Omit<ComposeOptions, "traffic"> {
  readonly sha: string;
  readonly versions: Readonly<Record<string, string>>;
  /** The traffic profile the cost delta prices (default packages/cost/traffic.json). */
  readonly traffic: ComposeOptions["traffic"];
  /** Also write `<stack>.md` and `review.json` (what the comment is of) here. */
  readonly out?: string;
  /** Post (or update) one sticky comment per stack on this pull request, and set its labels. */
  readonly post?: {
    readonly repo: string;
    readonly pr: number;
    readonly token: string;
    readonly api?: string;
  };
  readonly print: (comment: string) => void;
  readonly log: (line: string) => void;
}

/**
 * Renders each input's comment and delivers it; with `post`, sets the pull request's `plan:*`
 * labels once every comment is up. Returns the policy violations found (the check fails on any).
 */
export async function deliverReviews(
  inputs: ReadonlyArray<ReviewInput>,
  delivery: Delivery,
): Promise<{ violations: number; labels: string[] }> {
  let violations = 0;
  const labels = new Set<string>();
  for (const input of inputs) {
    const review = composeReview(input, delivery);
    violations += review.violations.length;
    for (const l of review.labels) labels.add(l);
    if (delivery.out) {
      mkdirSync(delivery.out, { recursive: true });
      writeFileSync(join(delivery.out, `${review.stack}.md`), review.comment);
      writeFileSync(
        join(delivery.out, "review.json"),
        `${JSON.stringify({ stack: review.stack, ...review.provenance, labels: review.labels }, null, 2)}\n`,
      );
    }
    if (delivery.post) {
      const result = await upsertComment({ ...delivery.post, stack: review.stack, body: review.comment });
      delivery.log(`${review.stack}: comment ${result.action} (${result.id})`);
    } else {
      delivery.print(review.comment);
    }
  }
  if (delivery.post) {
    const { added, removed } = await syncLabels(delivery.post);
    delivery.log(
      `labels: ${added.length > 0 ? `added ${added.join(", ")}` : "none added"}; ${removed.length > 0 ? `removed ${removed.join(", ")}` : "none removed"}`,
    );
  }
  return { violations, labels: [...labels].sort() };
}
