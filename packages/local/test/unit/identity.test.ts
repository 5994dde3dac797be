import { expect } from "chai";
import {
  ADMIN_CREDENTIALS,
  arnLocation,
  functionCredentials,
  functionKeys,
  functionNameFromArn,
} from "../../src/identity.ts";

describe("local identities", () => {
  it("gives two functions whose names share a 20-character prefix different credentials", () => {
    // Prepare
    const a = "lambdaform-dev-s3-processor";
    const b = "lambdaform-dev-s3-processor-v2";
    expect(a.slice(0, 20)).to.equal(b.slice(0, 20));
    // Act
    const keys = functionKeys(new Map([a, b].map((name) => [name, name])));
    // Assess
    expect(functionCredentials(a).accessKeyId).not.to.equal(functionCredentials(b).accessKeyId);
    expect([...keys.values()].map((k) => k.name).sort()).to.deep.equal([a, b]);
    expect(keys.get(functionCredentials(b).accessKeyId)?.name).to.equal(b);
  });

  it("derives a stable 20-character access key per function, never the admin's", () => {
    const key = functionCredentials("lambdaform-dev-hello-api").accessKeyId;
    expect(key).to.match(/^ASIALF[A-Z2-7]{14}$/);
    expect(functionCredentials("lambdaform-dev-hello-api").accessKeyId).to.equal(key);
    expect(key).not.to.equal(ADMIN_CREDENTIALS.accessKeyId);
  });

  it("refuses two functions that would share a key", () => {
    // The same name twice is the only way to collide; a Map cannot hold it, so fake one.
    const twice = {
      *[Symbol.iterator]() {
        yield ["f", 1] as const;
        yield ["f", 2] as const;
      },
    };
    expect(() => functionKeys(twice as unknown as ReadonlyMap<string, number>)).to.throw(
      /functions f and f would get the same local access key ASIALF\w+; rename one of them/,
    );
  });

  it("reads the function name out of a Lambda ARN, qualified or not, and refuses other ARNs", () => {
    expect(functionNameFromArn("arn:aws:lambda:us-east-1:123456789012:function:f")).to.equal("f");
    expect(functionNameFromArn("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST")).to.equal("f");
    expect(() => functionNameFromArn("arn:aws:sqs:us-east-1:123456789012:q")).to.throw(
      /not a Lambda function ARN/,
    );
    expect(arnLocation("arn:aws:lambda:eu-west-1:210987654321:function:f")).to.deep.equal({
      region: "eu-west-1",
      accountId: "210987654321",
    });
  });
});
