import { expect } from "chai";
import {
  ConfigError,
  integerWithDefault,
  loadConfig,
  requiredString,
  stringWithDefault,
} from "../src/index.ts";

const spec = {
  TABLE_NAME: requiredString(),
  CORS_ALLOW_ORIGIN: stringWithDefault("*"),
  MAX_CONCURRENCY: integerWithDefault(8, 1, 64),
};

describe("loadConfig", () => {
  it("reads values and applies defaults", () => {
    expect(loadConfig(spec, { TABLE_NAME: "FileProcessingLog-dev" })).to.deep.equal({
      TABLE_NAME: "FileProcessingLog-dev",
      CORS_ALLOW_ORIGIN: "*",
      MAX_CONCURRENCY: 8,
    });
    expect(loadConfig(spec, { TABLE_NAME: "t", MAX_CONCURRENCY: "3" }).MAX_CONCURRENCY).to.equal(3);
  });

  it("names a missing variable", () => {
    expect(() => loadConfig(spec, {}))
      .to.throw(ConfigError, "TABLE_NAME is missing")
      .with.property("variable", "TABLE_NAME");
    expect(() => loadConfig(spec, { TABLE_NAME: "" })).to.throw(ConfigError, "TABLE_NAME is missing");
  });

  it("names a malformed variable and says what was expected", () => {
    expect(() => loadConfig(spec, { TABLE_NAME: "t", MAX_CONCURRENCY: "lots" }))
      .to.throw(ConfigError, /MAX_CONCURRENCY is malformed: expected a whole number from 1 to 64, got "lots"/)
      .with.property("variable", "MAX_CONCURRENCY");
  });

  it("reads process.env by default", () => {
    process.env.LAMBDAFORM_TEST_ONLY = "x";
    try {
      expect(loadConfig({ LAMBDAFORM_TEST_ONLY: requiredString() }).LAMBDAFORM_TEST_ONLY).to.equal("x");
    } finally {
      delete process.env.LAMBDAFORM_TEST_ONLY;
    }
  });
});
