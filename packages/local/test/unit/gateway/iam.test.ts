import { expect } from "chai";
import { evaluate, type PolicyDocument, wildcardMatch } from "../../../src/gateway/iam.ts";

const processorPolicy: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "ReadUploads",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: "arn:aws:s3:::b/uploads/*",
    },
    {
      Sid: "WriteFileLog",
      Effect: "Allow",
      Action: "dynamodb:PutItem",
      Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/T",
    },
  ],
};
const monitorPolicy: PolicyDocument = {
  Statement: [
    {
      Sid: "PublishInstanceMetric",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": "Custom/EC2" } },
    },
  ],
};
const tlsOnly: PolicyDocument = {
  Statement: {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  },
};

describe("IAM evaluator", () => {
  it("allows an action on a resource a statement grants", () => {
    expect(
      evaluate({ action: "s3:GetObject", resource: "arn:aws:s3:::b/uploads/a.txt", context: {} }, [
        processorPolicy,
      ]),
    ).to.deep.equal({
      allowed: true,
      statement: "ReadUploads",
    });
  });

  it("denies by default: another prefix, another action, another table", () => {
    for (const [action, resource] of [
      ["s3:GetObject", "arn:aws:s3:::b/notes/a.txt"],
      ["s3:PutObject", "arn:aws:s3:::b/uploads/a.txt"],
      ["dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Other"],
      ["dynamodb:DeleteItem", "arn:aws:dynamodb:us-east-1:123456789012:table/T"],
    ] as const) {
      expect(
        evaluate({ action, resource, context: {} }, [processorPolicy]),
        `${action} ${resource}`,
      ).to.deep.equal({
        allowed: false,
        reason: "no-allow",
      });
    }
  });

  it("matches actions case-insensitively and resources case-sensitively", () => {
    expect(
      evaluate({ action: "S3:getobject", resource: "arn:aws:s3:::b/uploads/x", context: {} }, [
        processorPolicy,
      ]).allowed,
    ).to.equal(true);
    expect(
      evaluate({ action: "s3:GetObject", resource: "arn:aws:s3:::b/Uploads/x", context: {} }, [
        processorPolicy,
      ]).allowed,
    ).to.equal(false);
  });

  it("checks conditions: the namespace condition key", () => {
    const put = (namespace?: string) =>
      evaluate(
        { action: "cloudwatch:PutMetricData", resource: "*", context: { "cloudwatch:namespace": namespace } },
        [monitorPolicy],
      ).allowed;
    expect(put("Custom/EC2")).to.equal(true);
    expect(put("Custom/Other")).to.equal(false);
    expect(put(undefined)).to.equal(false);
  });

  it("lets an explicit deny in a resource policy win, with aws:SecureTransport", () => {
    const request = (secure: string) => ({
      action: "s3:GetObject",
      resource: "arn:aws:s3:::b/uploads/a.txt",
      context: { "aws:SecureTransport": secure },
    });
    expect(evaluate(request("false"), [processorPolicy], tlsOnly)).to.deep.equal({
      allowed: false,
      reason: "explicit-deny",
      statement: "DenyInsecureTransport",
    });
    expect(evaluate(request("true"), [processorPolicy], tlsOnly).allowed).to.equal(true);
  });

  it("supports NotAction, NotResource, IfExists and fails closed on unknown operators", () => {
    const doc: PolicyDocument = {
      Statement: [
        { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
        { Effect: "Deny", Action: "s3:*", NotResource: "arn:aws:s3:::safe/*" },
        {
          Sid: "Odd",
          Effect: "Allow",
          Action: "sqs:SendMessage",
          Resource: "*",
          Condition: { NumericLessThanIfNotReally: { x: "1" } },
        },
      ],
    };
    expect(evaluate({ action: "ec2:DescribeInstances", resource: "*", context: {} }, [doc]).allowed).to.equal(
      true,
    );
    expect(evaluate({ action: "iam:CreateUser", resource: "*", context: {} }, [doc]).allowed).to.equal(false);
    expect(
      evaluate({ action: "s3:GetObject", resource: "arn:aws:s3:::other/k", context: {} }, [doc]).allowed,
    ).to.equal(false);
    expect(
      evaluate({ action: "s3:GetObject", resource: "arn:aws:s3:::safe/k", context: {} }, [doc]).allowed,
    ).to.equal(true);
    const ifExists: PolicyDocument = {
      Statement: {
        Effect: "Allow",
        Action: "x:Y",
        Resource: "*",
        Condition: { StringEqualsIfExists: { "k:v": "a" } },
      },
    };
    expect(evaluate({ action: "x:Y", resource: "*", context: {} }, [ifExists]).allowed).to.equal(true);
    expect(evaluate({ action: "x:Y", resource: "*", context: { "k:v": "b" } }, [ifExists]).allowed).to.equal(
      false,
    );
  });

  it("treats only * and ? as wildcards", () => {
    expect(wildcardMatch("arn:aws:s3:::b/uploads/*", "arn:aws:s3:::b/uploads/a+b (1).txt")).to.equal(true);
    expect(wildcardMatch("arn:aws:s3:::b/u?", "arn:aws:s3:::b/up")).to.equal(true);
    expect(wildcardMatch("arn:aws:s3:::b.x", "arn:aws:s3:::bax")).to.equal(false);
  });
});
