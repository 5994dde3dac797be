import { expect } from "chai";
import { getHeader } from "../src/index.ts";

describe("getHeader", () => {
  it("finds a header whatever the case of either name", () => {
    expect(getHeader({ "user-agent": "curl/8.5.0" }, "User-Agent")).to.equal("curl/8.5.0");
    expect(getHeader({ "USER-AGENT": "curl/8.5.0" }, "user-agent")).to.equal("curl/8.5.0");
  });

  it("tolerates null and missing header maps", () => {
    expect(getHeader(null, "User-Agent")).to.equal(undefined);
    expect(getHeader(undefined, "User-Agent")).to.equal(undefined);
  });

  it("skips null values", () => {
    expect(getHeader({ Accept: null }, "accept")).to.equal(undefined);
  });
});
