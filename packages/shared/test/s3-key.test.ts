import { expect } from "chai";
import fc from "fast-check";
import { decodeS3Key, encodeS3Key, tryDecodeS3Key } from "../src/index.ts";

describe("decodeS3Key", () => {
  it("turns + into a space and %2B into a plus", () => {
    expect(decodeS3Key("uploads/my+report%2B2024.txt")).to.equal("uploads/my report+2024.txt");
  });

  it("decodes UTF-8 percent escapes", () => {
    expect(decodeS3Key("uploads/%E6%97%A5%E6%9C%AC%E8%AA%9E+caf%C3%A9.txt")).to.equal(
      "uploads/日本語 café.txt",
    );
  });

  it("throws on a malformed escape rather than guessing", () => {
    expect(() => decodeS3Key("uploads/%E6.txt")).to.throw(URIError);
  });

  it("answers undefined for a malformed escape when asked to try", () => {
    expect(tryDecodeS3Key("uploads/my+report%2B2024.txt")).to.equal("uploads/my report+2024.txt");
    for (const key of ["uploads/%E6.txt", "uploads/%", "uploads/%zz"])
      expect(tryDecodeS3Key(key)).to.equal(undefined);
  });
});

describe("encodeS3Key", () => {
  it("encodes as S3 does in notifications: space as +, plus as %2B, slash kept", () => {
    expect(encodeS3Key("uploads/my report+2024.txt")).to.equal("uploads/my+report%2B2024.txt");
  });

  it("round-trips any key through decodeS3Key", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (key) => {
        expect(decodeS3Key(encodeS3Key(key))).to.equal(key);
      }),
    );
  });
});
