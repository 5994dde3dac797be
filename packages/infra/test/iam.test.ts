import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { ASYNC_DESTINATION_ACTIONS, actionsFor, PLATFORM_ACTIONS } from "../src/iam-actions.ts";
import { functionOf, synthOnce } from "./helpers.ts";

const FUNCTIONS = fileURLToPath(new URL("../../functions/", import.meta.url));

/**
 * The AWS operations a function's source sends: every `new XCommand(` and `paginateX(` whose name
 * is imported from an `@aws-sdk/client-<service>` package, mapped to the IAM actions they need.
 */
function actionsSentBy(functionName: string): string[] {
  const dir = join(FUNCTIONS, functionName, "src");
  const actions = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(join(dir, file), "utf8");
    const imported = new Map<string, string>();
    for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z0-9-]+)"/g)) {
      for (const name of (m[1] ?? "").split(",").map((n) => n.replace(/\btype\b/, "").trim())) {
        if (name) imported.set(name, m[2] ?? "");
      }
    }
    for (const m of source.matchAll(/new (\w+)Command\(|paginate(\w+)\(/g)) {
      const operation = m[1] ?? m[2] ?? "";
      const symbol = m[1] ? `${operation}Command` : `paginate${operation}`;
      const service = imported.get(symbol);
      if (service) for (const action of actionsFor(service, operation)) actions.add(action);
    }
  }
  return [...actions].sort();
}

const ASYNC = new Set(["s3-processor", "ec2-monitor"]);

describe("IAM: each role grants exactly what its function calls", () => {
  it("finds the SDK calls in the functions' code (sanity check of the scanner)", () => {
    expect(actionsSentBy("s3-processor")).to.deep.equal([
      "dynamodb:PutItem",
      "s3:GetObject",
      "s3:GetObjectVersion",
    ]);
    expect(actionsSentBy("ec2-monitor")).to.deep.equal(["cloudwatch:PutMetricData", "ec2:DescribeInstances"]);
    expect(actionsSentBy("hello-api")).to.deep.equal([]);
  });

  for (const role of ["hello-api", "s3-processor", "ec2-monitor"]) {
    it(`${role}: granted actions = SDK commands sent + Lambda's own (logs, X-Ray${ASYNC.has(role) ? ", DLQ" : ""})`, () => {
      // Prepare
      const expected = new Set([
        ...actionsSentBy(role),
        ...PLATFORM_ACTIONS,
        ...(ASYNC.has(role) ? ASYNC_DESTINATION_ACTIONS : []),
      ]);
      for (const stage of ["dev", "prod"] as const) {
        // Act
        const { statements } = functionOf(synthOnce().stacks[stage], role);
        const granted = new Set(statements.filter((s) => s.effect === "Allow").flatMap((s) => s.actions));
        // Assess
        expect([...granted].sort(), `${stage} ${role}`).to.deep.equal([...expected].sort());
      }
    });
  }

  it("scopes each grant: own log group, uploads/* of the bucket, the table, the function's own DLQ", () => {
    const stack = synthOnce().stacks.dev;
    const processor = functionOf(stack, "s3-processor");
    const byAction = (action: string) =>
      processor.statements.find((s) => s.actions.includes(action))?.resources;
    const bucket = stack.idOf("aws_s3_bucket", () => true);
    const table = stack.idOf("aws_dynamodb_table", () => true);
    const logGroup = stack.idOf(
      "aws_cloudwatch_log_group",
      (g) => g.name === "/aws/lambda/lambdaform-dev-s3-processor",
    );
    const dlq = stack.idOf("aws_sqs_queue", (q) => q.name === "lambdaform-dev-s3-processor-dlq");
    expect(byAction("logs:PutLogEvents")).to.deep.equal([`\${aws_cloudwatch_log_group.${logGroup}.arn}:*`]);
    expect(byAction("s3:GetObject")).to.deep.equal([`\${aws_s3_bucket.${bucket}.arn}/uploads/*`]);
    expect(byAction("dynamodb:PutItem")).to.deep.equal([`\${aws_dynamodb_table.${table}.arn}`]);
    // The DLQ's ARN, built from the log group's partition, region and account and the queue's name.
    const part = (i: number) => `element(split(":", aws_cloudwatch_log_group.${logGroup}.arn), ${i})`;
    expect(stack.resources("aws_sqs_queue")[dlq]?.name).to.equal("lambdaform-dev-s3-processor-dlq");
    expect(byAction("sqs:SendMessage")).to.deep.equal([
      `\${join(":", ["arn", ${part(1)}, "sqs", ${part(3)}, ${part(4)}, "lambdaform-dev-s3-processor-dlq"])}`,
    ]);
  });

  it("lets ec2-monitor publish metrics only to the Custom/EC2 namespace", () => {
    const monitor = functionOf(synthOnce().stacks.dev, "ec2-monitor");
    expect(
      monitor.statements.find((s) => s.actions.includes("cloudwatch:PutMetricData"))?.condition,
    ).to.deep.equal([{ test: "StringEquals", variable: "cloudwatch:namespace", values: ["Custom/EC2"] }]);
  });
});
