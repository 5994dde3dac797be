import { expect } from "chai";
import { CostInputError, compareMemory, dollars, functionCost, monthlyCost, PRICES } from "../src/index.ts";

const seed = {
  name: "seed-example",
  memoryMb: 512,
  architecture: "x86_64" as const,
  invocations: 1_000_000,
  durationMs: 100,
};

describe("Lambda cost model", () => {
  it("reproduces the tutorial's worked example: 512 MB, 100 ms, 1M invocations on x86_64 = $0.83 + $0.20 = $1.03", () => {
    const cost = functionCost(seed);
    expect(dollars(cost.durationCost)).to.equal("$0.83");
    expect(dollars(cost.requestCost)).to.equal("$0.20");
    expect(dollars(cost.total)).to.equal("$1.03");
    expect(cost.gbSeconds).to.equal(50_000);
  });

  it("prices arm64 at its own GB-second rate (20% less)", () => {
    const arm = functionCost({ ...seed, architecture: "arm64" });
    expect(arm.durationCost).to.be.closeTo(50_000 * 0.0000133334, 1e-9);
    expect(dollars(arm.durationCost)).to.equal("$0.67");
    expect(dollars(arm.total)).to.equal("$0.87");
  });

  it("bills duration rounded up to the millisecond", () => {
    expect(functionCost({ ...seed, durationMs: 100.01 }).billedDurationMs).to.equal(101);
    expect(functionCost({ ...seed, durationMs: 0.2 }).billedDurationMs).to.equal(1);
  });

  it("takes the free tier (1M requests, 400,000 GB-s) off the account total when asked", () => {
    expect(monthlyCost([seed], { freeTier: true }).total).to.be.closeTo(0, 1e-12);
    const big = { ...seed, invocations: 10_000_000 };
    const report = monthlyCost([big], { freeTier: true });
    // 10M requests → 9M billed: $1.80; 500,000 GB-s → 100,000 billed: $1.67.
    expect(dollars(report.total)).to.equal(dollars(1.8 + 100_000 * 0.0000166667));
    expect(monthlyCost([big]).total).to.be.greaterThan(report.total);
  });

  it("turns right-sizing into a table: cost at each memory size for a duration curve", () => {
    const rows = compareMemory(
      { name: "f", architecture: "arm64", invocations: 1_000_000 },
      [128, 256, 512, 1024],
      [800, 400, 210, 110],
    );
    expect(rows.map((r) => r.memoryMb)).to.deep.equal([128, 256, 512, 1024]);
    expect(rows.map((r) => r.gbSeconds)).to.deep.equal([100_000, 100_000, 105_000, 110_000]);
    expect(() =>
      compareMemory({ name: "f", architecture: "arm64", invocations: 1 }, [128, 256], [1, 2, 3]),
    ).to.throw(CostInputError, /one per memory size/);
  });

  it("names the function and field of bad input", () => {
    expect(() => functionCost({ ...seed, invocations: -1 })).to.throw(
      CostInputError,
      "seed-example: invocations must be a number ≥ 0, got -1",
    );
    expect(() => functionCost({ ...seed, durationMs: Number.NaN })).to.throw(CostInputError, /durationMs/);
    expect(() => functionCost({ ...seed, memoryMb: 64 })).to.throw(
      CostInputError,
      /memoryMb must be a number ≥ 128/,
    );
    expect(() => functionCost({ ...seed, architecture: "mips" as "arm64" })).to.throw(
      CostInputError,
      /architecture must be x86_64 or arm64/,
    );
  });

  it("keeps its prices in one data file, with the region and the date", () => {
    expect(PRICES).to.include({ region: "us-east-1", requestsPerMillion: 0.2 });
    expect(PRICES.taken).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICES.gbSecond).to.deep.equal({ x86_64: 0.0000166667, arm64: 0.0000133334 });
  });
});
