import { wholeNumber } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

/** `lambdaform review`: a terraform plan as one pull-request comment per stack. */
export const reviewCommand = defineCommand({
  name: "review",
  summary: "turn terraform plans into one pull-request comment per stack",
  usage: `review [--plan <plan.json> --stack <name>] [--base <cdktf.out> --head <cdktf.out>]
         [--plan-text <file>] [--out <dir>] [--post --pr <n>] [--sha <sha>]`,
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
      });
    } catch (error) {
      if (error instanceof review.ReviewInputError) throw new UsageError(error.message);
      throw error;
    }
    await review.deliverReviews(inputs, {
      sha: review.reviewedCommit(root, values.sha),
      versions: review.toolVersions(root),
      out: values.out,
      post,
      print: (comment) => process.stdout.write(`${comment}\n`),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    return 0;
  },
});
