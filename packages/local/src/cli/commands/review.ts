import { wholeNumber } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

/** `lambdaform review`: a terraform plan as one pull-request comment per stack. */
export const reviewCommand = defineCommand({
  name: "review",
  summary: "turn terraform plans into one pull-request comment per stack",
  usage: `review [--plan <plan.json> --stack <name> [--base-synth <cdktf.out>] [--synth <cdktf.out>]
         [--state <state.json>]] [--base <cdktf.out> --head <cdktf.out>] [--plan-text <file>]
         [--traffic <traffic.json>] [--out <dir>] [--post --pr <n>] [--sha <sha>] [--base-sha <sha>]
  Exits 1 when the head stack breaks a rule of the security baseline (after posting).`,
  options: {
    plan: { type: "string" },
    stack: { type: "string" },
    "plan-text": { type: "string" },
    base: { type: "string" },
    head: { type: "string" },
    out: { type: "string" },
    post: { type: "boolean", default: false },
    pr: { type: "string" },
    sha: { type: "string" },
    "base-sha": { type: "string" },
    synth: { type: "string" },
    "base-synth": { type: "string" },
    state: { type: "string" },
    traffic: { type: "string" },
  },
  async run({ values, root }) {
    const review = await import("@lambdaform/review");
    let post: { repo: string; pr: number; token: string; api?: string } | undefined;
    if (values.post) {
      const token = process.env.GITHUB_TOKEN;
      const repo = process.env.GITHUB_REPOSITORY;
      if (!token || !repo || !values.pr)
        throw new UsageError(
          "--post needs GITHUB_TOKEN and GITHUB_REPOSITORY in the environment and --pr <number>.",
        );
      post = { repo, token, pr: wholeNumber(values.pr, "--pr", 1), api: process.env.GITHUB_API_URL };
    }
    let inputs: ReturnType<typeof review.reviewInputs>;
    try {
      inputs = review.reviewInputs({
        root,
        plan: values.plan,
        stack: values.stack,
        planText: values["plan-text"],
        base: values.base,
        head: values.head,
        synth: values.synth,
        baseSynth: values["base-synth"],
        state: values.state,
      });
    } catch (error) {
      if (error instanceof review.ReviewInputError) throw new UsageError(error.message);
      throw error;
    }
    let traffic: ReturnType<typeof review.readTraffic>;
    try {
      traffic = review.readTraffic(root, values.traffic);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { violations } = await review.deliverReviews(inputs, {
      sha: review.reviewedCommit(root, values.sha),
      ...(values["base-sha"] ? { baseSha: values["base-sha"] } : {}),
      versions: review.toolVersions(root),
      traffic,
      out: values.out,
      post,
      print: (comment) => process.stdout.write(`${comment}\n`),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (violations > 0) {
      process.stderr.write(
        `lambdaform review: ${violations} security-baseline violation(s) in the head stack (listed in the comment); fix them or the check stays red.\n`,
      );
      return 1;
    }
    return 0;
  },
});
