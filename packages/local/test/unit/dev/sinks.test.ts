import { expect } from "chai";
import { logBatches } from "../../../src/dev/sinks.ts";

describe("log shipping batches", () => {
  it("keeps each PutLogEvents call within 10,000 events and 1 MB, in order", () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ timestamp: i, message: `line ${i}` }));
    const byCount = logBatches(many);
    expect(byCount.map((b) => b.length)).to.deep.equal([10_000, 1]);
    expect(byCount[1]?.[0]?.message).to.equal("line 10000");

    // 300 KB messages: three fit in 1 MB (with 26 bytes each), the fourth starts a new batch.
    const big = Array.from({ length: 5 }, (_, i) => ({ timestamp: i, message: "é".repeat(150_000) }));
    expect(logBatches(big).map((b) => b.length)).to.deep.equal([3, 2]);
    expect(logBatches([])).to.deep.equal([]);
  });
});
