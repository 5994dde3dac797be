import { gzipSync } from "node:zlib";
import { expect } from "chai";
import { Refused } from "../../../src/gateway/aws-error.ts";
import { decodedContent } from "../../../src/gateway/content-encoding.ts";

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof Refused) return { status: error.reply.status, body: String(error.reply.body) };
    throw error;
  }
  throw new Error("not refused");
};

describe("a gzipped AWS call's body (Content-Encoding)", () => {
  const json = Buffer.from(JSON.stringify({ Namespace: "N", MetricData: [{ MetricName: "M", Value: 1 }] }));

  it("inflates a gzipped body once, dropping the header and giving the plain length", () => {
    // Act
    const decoded = decodedContent(
      "monitoring",
      {
        "content-encoding": "gzip",
        "content-length": "99",
        "x-amz-target": "GraniteServiceVersion20100801.PutMetricData",
      },
      gzipSync(json),
      1_000_000,
    );
    // Assess
    expect(decoded.body.equals(json)).to.equal(true);
    expect(decoded.headers["content-encoding"]).to.equal(undefined);
    expect(decoded.headers["content-length"]).to.equal(String(json.length));
    expect(decoded.headers["x-amz-target"]).to.equal("GraniteServiceVersion20100801.PutMetricData");
  });

  it("leaves a plain body, and any S3 body (there Content-Encoding is the object's metadata), as sent", () => {
    const headers = { "content-encoding": "gzip" };
    const gz = gzipSync(json);
    expect(decodedContent("s3", headers, gz, 1_000_000).body).to.equal(gz);
    expect(decodedContent("dynamodb", {}, json, 1_000_000).body).to.equal(json);
    expect(decodedContent("dynamodb", { "content-encoding": "identity" }, json, 1_000_000).body).to.equal(
      json,
    );
  });

  it("refuses a body that is not the gzip its header says, naming Content-Encoding", () => {
    const answer = refusal(() =>
      decodedContent("monitoring", { "content-encoding": "gzip" }, json, 1_000_000),
    );
    expect(answer.status).to.equal(400);
    expect(answer.body).to.match(/Content-Encoding/);
  });

  it("refuses a body that inflates past the call's cap (a gzip bomb) with a 413", () => {
    const bomb = gzipSync(Buffer.alloc(5_000_000));
    expect(bomb.length).to.be.below(10_000);
    const answer = refusal(() =>
      decodedContent("monitoring", { "content-encoding": "gzip" }, bomb, 1_000_000),
    );
    expect(answer.status).to.equal(413);
  });

  it("refuses an encoding it cannot read, naming it", () => {
    const answer = refusal(() => decodedContent("monitoring", { "content-encoding": "br" }, json, 1_000_000));
    expect(answer.status).to.equal(400);
    expect(answer.body).to.match(/Content-Encoding br/);
  });
});
