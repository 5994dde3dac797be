import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Architecture, CostInputError, dollars, functionCost, type Traffic } from "@lambdaform/cost";
import { synthesize } from "@lambdaform/infra";
import { expect } from "chai";
import {
  costDelta,
  DEFAULT_TRAFFIC_FILE,
  readTraffic,
  renderCostSection,
  type StackJson,
} from "../src/cost-delta.ts";

type Json = Record<string, unknown>;

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

describe("cost delta: real synthesized stacks priced with the cost model", () => {
  let base: StackJson;
  let traffic: Traffic;
  let source: string;
  const functions = (stack: StackJson) =>
    (stack.resource as Record<string, Record<string, Json>>).aws_lambda_function ?? {};
  const byShortName = (stack: StackJson, name: string): Json => {
    const found = Object.values(functions(stack)).find((fn) => fn.function_name === `lambdaform-dev-${name}`);
    if (!found) throw new Error(`no ${name} in the stack`);
    return found;
  };
  const edit = (change: (stack: StackJson) => void) => {
    const head = structuredClone(base);
    change(head);
    return head;
  };
  /** What the cost model prices for one function of the base stack at a memory size, under the profile. */
  const priced = (name: string, memoryMb: number, architecture?: Architecture) => {
    const fn = byShortName(base, name);
    const usage = traffic[name];
    if (usage?.invocations === undefined || usage.durationMs === undefined)
      throw new Error(`${name} is not in the traffic profile`);
    return functionCost({
      name,
      memoryMb,
      architecture: architecture ?? ((fn.architectures as Architecture[])[0] as Architecture),
      invocations: usage.invocations,
      durationMs: usage.durationMs,
    }).total;
  };

  before(() => {
    const outdir = mkdtempSync(join(tmpdir(), "lf-review-cost-"));
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    base = JSON.parse(readFileSync(join(outdir, "stacks", "lambdaform-dev", "cdk.tf.json"), "utf8"));
    ({ traffic, source } = readTraffic(ROOT));
  });

  it("the committed traffic profile prices every deployed function, as pnpm cost's default did", () => {
    expect(source).to.equal(DEFAULT_TRAFFIC_FILE);
    const names = Object.values(functions(base))
      .map((fn) => String(fn.function_name).replace("lambdaform-dev-", ""))
      .sort();
    expect(names).to.deep.equal(["ec2-monitor", "hello-api", "s3-processor"]);
    for (const name of names) expect(traffic[name]).to.include({ invocations: 1_000_000, durationMs: 100 });
  });

  it("shows s3-processor's memory change 256 → 512 with the model's dollars, other rows unchanged", () => {
    // Arrange
    const head = edit((stack) => {
      byShortName(stack, "s3-processor").memory_size = 512;
    });
    expect(byShortName(base, "s3-processor").memory_size).to.equal(256);
    const before = priced("s3-processor", 256);
    const after = priced("s3-processor", 512);
    // Act
    const delta = costDelta(base, head, traffic, source);
    const lines = renderCostSection(delta);
    // Assess: the changed row
    const row = delta.functions.find((f) => f.name === "s3-processor");
    expect(row).to.deep.include({
      status: "changed",
      memoryMb: { before: 256, after: 512 },
      architecture: { before: "arm64", after: "arm64" },
      cost: { before, after },
      delta: after - before,
    });
    expect(after).to.be.greaterThan(before);
    expect(lines).to.include(
      `| s3-processor | 256 → 512 MB | arm64 | ${dollars(before)} | ${dollars(after)} | +${dollars(after - before)} |`,
    );
    // the other rows, unchanged
    for (const name of ["ec2-monitor", "hello-api"]) {
      const same = priced(name, Number(byShortName(base, name).memory_size));
      const other = delta.functions.find((f) => f.name === name);
      expect(other).to.deep.include({ status: "unchanged", cost: { before: same, after: same }, delta: 0 });
      expect(lines).to.include(`| ${name} | 128 MB | arm64 | ${dollars(same)} | ${dollars(same)} | $0.00 |`);
    }
    // the total is that row's delta
    expect(delta.delta).to.equal(after - before);
    expect(delta.added).to.deep.equal([]);
    expect(delta.removed).to.deep.equal([]);
    expect(lines[0]).to.equal("#### Cost (monthly, Lambda requests and compute)");
    expect(lines).to.include("| function | memory | architecture | before | after | delta |");
    expect(lines.find((l) => l.startsWith("| **total** |"))).to.equal(
      `| **total** | | | ${dollars(delta.before)} | ${dollars(delta.after)} | **+${dollars(after - before)}** |`,
    );
    const profile = lines.at(-1) ?? "";
    expect(profile).to.contain("`packages/cost/traffic.json`");
    expect(profile).to.contain("--traffic <file>");
    expect(profile).to.contain("pnpm review");
    expect(lines.join("\n")).not.to.match(/no cost change/i);
  });

  it("says no cost change for identical stacks", () => {
    const delta = costDelta(
      base,
      edit(() => {}),
      traffic,
      source,
    );
    const text = renderCostSection(delta).join("\n");
    expect(delta.delta).to.equal(0);
    expect(delta.functions.map((f) => f.delta)).to.deep.equal([0, 0, 0]);
    expect(text).to.match(/no cost change/i);
    expect(text).not.to.contain("| function |");
    expect(text).to.contain("`packages/cost/traffic.json`");
  });

  it("prices an architecture change and names added and removed functions", () => {
    const head = edit((stack) => {
      byShortName(stack, "hello-api").architectures = ["x86_64"];
      const fns = functions(stack);
      const [id] =
        Object.entries(fns).find(([, fn]) => fn.function_name === "lambdaform-dev-ec2-monitor") ?? [];
      if (id) {
        fns[`${id}_v2`] = { ...(fns[id] as Json), function_name: "lambdaform-dev-ec2-monitor-v2" };
        delete fns[id];
      }
    });
    const delta = costDelta(
      base,
      head,
      { ...traffic, "ec2-monitor-v2": traffic["ec2-monitor"] ?? {} },
      source,
    );
    const lines = renderCostSection(delta);
    const x86 = priced("hello-api", 128, "x86_64");
    const arm = priced("hello-api", 128, "arm64");
    expect(lines).to.include(
      `| hello-api | 128 MB | arm64 → x86_64 | ${dollars(arm)} | ${dollars(x86)} | +${dollars(x86 - arm)} |`,
    );
    expect(delta.added).to.deep.equal(["ec2-monitor-v2"]);
    expect(delta.removed).to.deep.equal(["ec2-monitor"]);
    expect(lines).to.include("Added: `ec2-monitor-v2`. Removed: `ec2-monitor`.");
    expect(delta.delta).to.be.closeTo(x86 - arm, 1e-12);
  });

  it("prices every function as new without a base, and leaves out one with no traffic, saying so", () => {
    const { "ec2-monitor": _left, ...partial } = traffic;
    const delta = costDelta(undefined, base, partial, "custom.json");
    const lines = renderCostSection(delta);
    expect(delta.added).to.deep.equal(["ec2-monitor", "hello-api", "s3-processor"]);
    expect(delta.functions.find((f) => f.name === "ec2-monitor")).to.deep.include({ delta: undefined });
    expect(delta.after).to.equal(priced("hello-api", 128) + priced("s3-processor", 256));
    expect(lines).to.include(`| ec2-monitor (added) | — → 128 MB | — → arm64 | — | — | — |`);
    expect(lines.join("\n")).to.contain(
      "Not priced (left out of the totals): no invocations or durationMs for ec2-monitor in custom.json.",
    );
    expect(lines.at(-1)).to.contain("`custom.json`");
  });

  describe("bad traffic", () => {
    const file = (text: string) => {
      const path = join(mkdtempSync(join(tmpdir(), "lf-traffic-")), "traffic.json");
      writeFileSync(path, text);
      return path;
    };

    it("a field that is not a number is named, with the file (parseTraffic's error)", () => {
      const path = file('{"s3-processor": {"invocations": "lots", "durationMs": 100}}');
      expect(() => readTraffic(ROOT, path)).to.throw(
        CostInputError,
        `${path}: s3-processor.invocations must be a number, got "lots".`,
      );
    });

    it("a file that is not JSON, or not there, is named", () => {
      expect(() => readTraffic(ROOT, file("{nope"))).to.throw(
        CostInputError,
        /Cannot read the traffic file .*traffic\.json/,
      );
      expect(() => readTraffic(ROOT, "missing/traffic.json")).to.throw(
        CostInputError,
        /Cannot read the traffic file missing\/traffic\.json/,
      );
    });

    it("a negative value is refused when priced, naming the function and field", () => {
      const bad = { ...traffic, "hello-api": { invocations: 1000, durationMs: -5 } };
      expect(() => costDelta(base, base, bad, "bad.json")).to.throw(
        CostInputError,
        "bad.json: hello-api.durationMs must be a number ≥ 0, got -5.",
      );
    });
  });
});
