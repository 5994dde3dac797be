import { readFileSync } from "node:fs";
import { captureOutput } from "@lambdaform/testkit";
import { expect } from "chai";
import { flagList } from "../../../src/cli/command.ts";
import { costCommand } from "../../../src/cli/commands/cost.ts";
import { devCommand } from "../../../src/cli/commands/dev.ts";
import { dlqCommand } from "../../../src/cli/commands/dlq.ts";
import { eventCommand } from "../../../src/cli/commands/event.ts";
import { invokeCommand } from "../../../src/cli/commands/invoke.ts";
import { logsCommand } from "../../../src/cli/commands/logs.ts";
import { reviewCommand } from "../../../src/cli/commands/review.ts";
import { triggerCommand } from "../../../src/cli/commands/trigger.ts";
import { COMMANDS, main } from "../../../src/cli/main.ts";

const run = (argv: string[]) => captureOutput(() => main(argv));

describe("lambdaform CLI: each verb takes its own flags", () => {
  // A flag of another verb, given to each verb.
  const cases = [
    { command: invokeCommand, argv: ["invoke", "hello-api", "--port", "9"], flag: "--port" },
    { command: eventCommand, argv: ["event", "s3", "--port", "9"], flag: "--port" },
    { command: devCommand, argv: ["dev", "--event", "x.json"], flag: "--event" },
    { command: triggerCommand, argv: ["trigger", "rule", "--port", "9"], flag: "--port" },
    { command: reviewCommand, argv: ["review", "--stage", "dev"], flag: "--stage" },
    { command: costCommand, argv: ["cost", "--repeat", "2"], flag: "--repeat" },
    { command: dlqCommand, argv: ["dlq", "list", "--type", "s3"], flag: "--type" },
    { command: logsCommand, argv: ["logs", "hello-api", "--repeat", "2"], flag: "--repeat" },
  ];
  for (const { command, argv, flag } of cases) {
    it(`${command.name}: a flag it does not take (${flag}) exits 2, naming ${command.name}'s valid flags`, async () => {
      // Act
      const { result, output } = await run(argv);
      // Assess
      expect(result).to.equal(2);
      expect(output).to.contain(
        `lambdaform: ${command.name} does not take ${flag}. Valid flags for ${command.name}: ${flagList(command.options)}.`,
      );
      expect(output).to.contain(`Usage: lambdaform ${command.name}`);
    });
  }

  it("says when a flag's value is missing", async () => {
    const { result, output } = await run(["invoke", "hello-api", "--stage"]);
    expect(result).to.equal(2);
    expect(output).to.match(/invoke: Option '--stage <value>' argument missing\. Valid flags for invoke: /);
  });

  it("lists the commands for an unknown one, and shows a verb's usage with --help", async () => {
    const unknown = await run(["deploy"]);
    expect(unknown.result).to.equal(2);
    expect(unknown.output).to.contain(
      'Unknown command "deploy". Commands: invoke, event, dev, trigger, logs, review, cost, dlq.',
    );
    const help = await run(["trigger", "--help"]);
    expect(help.result).to.equal(0);
    expect(help.output).to.contain("Usage: lambdaform trigger <rule> [--stage dev]");
  });

  it("reports an unknown name as a usage error, listing the choices", async () => {
    const { result, output } = await run(["event", "kinesis", "--stack-dir", "/nonexistent"]);
    expect(result).to.equal(2);
    expect(output).to.match(/Unknown event type "kinesis". Valid types: apigw \(api, apigateway/);
  });

  it("refuses a stage that is not a stage name (never a path)", async () => {
    const { result, output } = await run(["cost", "--stage", "../../../../tmp/evil"]);
    expect(result).to.equal(2);
    expect(output).to.contain(
      '--stage must be a stage name (lower-case letters, digits and dashes, starting with a letter), got "../../../../tmp/evil"',
    );
  });
});

describe("lambdaform CLI: every verb is a root script", () => {
  it("runs each verb as `pnpm <verb>` from the repository root (pnpm logs was missing)", () => {
    // Prepare
    const scripts = (
      JSON.parse(readFileSync(new URL("../../../../../package.json", import.meta.url), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    // Assess
    for (const command of COMMANDS)
      expect(scripts[command.name], `pnpm ${command.name}`).to.equal(`lambdaform ${command.name}`);
  });
});
