import { expect } from "chai";
import { functionOfIntegrationUri } from "../../../src/dev/deployed.ts";

describe("deployed model", () => {
  it("finds the function of a Lambda proxy integration URI", () => {
    expect(
      functionOfIntegrationUri(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:lambdaform-dev-hello-api/invocations",
      ),
    ).to.equal("lambdaform-dev-hello-api");
  });
});
