import { expect } from "chai";
import fc from "fast-check";
import { SEQUENCER_WIDTH, sequencerOrderKey } from "../src/sequencer.ts";

/** AWS's documented rule, written out literally: right-pad the shorter with zeros, then compare. */
function awsCompare(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padEnd(width, "0");
  const pb = b.toUpperCase().padEnd(width, "0");
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

const compare = (a: string, b: string) => {
  const ka = sequencerOrderKey(a);
  const kb = sequencerOrderKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

describe("sequencerOrderKey", () => {
  it("orders sequencers of different lengths as AWS documents (right-pad, then compare)", () => {
    expect(compare("0055AED6DCD90281E5", "0055AED6DCD90281E4")).to.equal(1);
    // A longer value is not automatically later: "0055AED6DCD90281E5" pads to ...E500 > ...E4FF.
    expect(compare("0055AED6DCD90281E5", "0055AED6DCD90281E4FF")).to.equal(1);
    expect(compare("0055AED6DCD90281E5", "0055AED6DCD90281E501")).to.equal(-1);
    expect(compare("0055aed6dcd90281e5", "0055AED6DCD90281E5")).to.equal(0);
  });

  it("agrees with AWS's rule for any pair of hexadecimal sequencers", () => {
    const hex = fc.stringMatching(/^[0-9A-Fa-f]{1,40}$/);
    fc.assert(
      fc.property(hex, hex, (a, b) => {
        expect(compare(a, b)).to.equal(awsCompare(a, b));
      }),
    );
  });

  it("rejects values that are not hexadecimal or are too long", () => {
    expect(() => sequencerOrderKey("xyz")).to.throw(RangeError, /not hexadecimal/);
    expect(() => sequencerOrderKey("A".repeat(SEQUENCER_WIDTH + 1))).to.throw(RangeError, /longer than/);
  });
});
