import { expect } from "chai";
import { planCheckOf } from "../../../src/dev/control.ts";
import type { Call } from "../../../src/gateway/classify.ts";
import { FaultSettingError, Faults, parseFaultSettings } from "../../../src/gateway/faults.ts";

const call = (service: string, resource: string): Call =>
  ({
    signature: { service, accessKeyId: "AKIA", region: "us-east-1" },
    checks: [{ service, action: `${service}:PutItem`, resource, context: {} }],
  }) as unknown as Call;
const TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/lambdaform-dev-FileProcessingLog";

describe("fault injection (pnpm dev --faults) and the plan check", () => {
  describe("settings", () => {
    it("reads unavailable services and S3 delivery", () => {
      expect(
        parseFaultSettings({
          unavailable: [{ service: "dynamodb", resource: "t" }, { service: "sqs" }],
          s3Delivery: { copies: 2, holdMs: 300 },
        }),
      ).to.deep.equal({
        unavailable: [{ service: "dynamodb", resource: "t" }, { service: "sqs" }],
        s3Delivery: { copies: 2, holdMs: 300 },
      });
      expect(parseFaultSettings({})).to.deep.equal({ unavailable: [] });
    });

    for (const [body, field] of [
      [{ outage: true }, '"outage"'],
      [{ unavailable: "dynamodb" }, '"unavailable"'],
      [{ unavailable: [{ service: "DynamoDB!" }] }, '"unavailable[0].service"'],
      [{ unavailable: [{ service: "s3", resource: "" }] }, '"unavailable[0].resource"'],
      [{ s3Delivery: { copies: 0 } }, '"s3Delivery.copies"'],
      [{ s3Delivery: { copies: 9 } }, '"s3Delivery.copies"'],
      [{ s3Delivery: { holdMs: -1 } }, '"s3Delivery.holdMs"'],
      [{ s3Delivery: { holdMs: 1.5 } }, '"s3Delivery.holdMs"'],
    ] as const)
      it(`refuses ${JSON.stringify(body)}, naming ${field}`, () => {
        expect(() => parseFaultSettings(body as Record<string, unknown>))
          .to.throw(FaultSettingError)
          .with.property("message")
          .that.contains(field);
      });
  });

  describe("unavailable services", () => {
    it("answers the named table's calls 503 ServiceUnavailable in DynamoDB's JSON, and counts them", () => {
      const faults = new Faults();
      faults.set({ unavailable: [{ service: "dynamodb", resource: "lambdaform-dev-FileProcessingLog" }] });
      const reply = faults.refusal(call("dynamodb", TABLE));
      expect(reply?.status).to.equal(503);
      expect(JSON.parse(String(reply?.body))).to.include({ __type: "ServiceUnavailable" });
      expect(faults.refusal(call("dynamodb", TABLE.replace("FileProcessingLog", "Other")))).to.equal(
        undefined,
      );
      expect(faults.refusal(call("s3", "arn:aws:s3:::bucket/key"))).to.equal(undefined);
      expect(faults.counters.refused).to.equal(1);
    });

    it("answers S3 in its XML, for every resource when none is named; clearing lets everything through", () => {
      const faults = new Faults();
      faults.set({ unavailable: [{ service: "s3" }] });
      const reply = faults.refusal(call("s3", "arn:aws:s3:::uploads/a.txt"));
      expect(reply?.status).to.equal(503);
      expect(String(reply?.body)).to.contain("<Code>ServiceUnavailable</Code>");
      faults.set({ unavailable: [] });
      expect(faults.refusal(call("s3", "arn:aws:s3:::uploads/a.txt"))).to.equal(undefined);
      expect(faults.counters.refused).to.equal(0);
    });

    it("keeps the newest sequencer per key under the S3 delivery fault", () => {
      const faults = new Faults();
      faults.s3Event("b/k", "0000000000000002");
      faults.s3Event("b/k", "0000000000000001");
      faults.s3Event("b/j", "0000000000000005");
      expect(Object.fromEntries(faults.newest)).to.deep.equal({
        "b/k": "0000000000000002",
        "b/j": "0000000000000005",
      });
      expect(faults.counters.s3Events).to.equal(3);
    });
  });

  describe("plan check (does Terraform's state agree with moto?)", () => {
    const entry = (type: string, name: string, actions: string[], before: unknown, after: unknown) => ({
      address: `${type}.${name}`,
      type,
      change: { actions, before, after },
    });

    it("lists changes but no-op and read, and only drift in values that differ", () => {
      const check = planCheckOf({
        resource_changes: [
          entry("aws_s3_bucket", "b", ["no-op"], {}, {}),
          entry("aws_lambda_function", "f", ["update"], { memory_size: 128 }, { memory_size: 256 }),
          entry("data_x", "d", ["read"], {}, {}),
        ],
        resource_drift: [
          // The provider's normalising: null read back as [] or {} or "".
          entry(
            "aws_api_gateway_method",
            "m",
            ["update"],
            { a: null, b: null, c: null },
            { a: [], b: {}, c: "" },
          ),
          // Read back from companion resources on every refresh.
          entry("aws_iam_role", "r", ["update"], { inline_policy: [] }, { inline_policy: [{ name: "p" }] }),
          // A real change outside Terraform.
          entry(
            "aws_sqs_queue",
            "q",
            ["update"],
            { delay_seconds: 0, tags: null },
            { delay_seconds: 5, tags: {} },
          ),
        ],
      });
      expect(check).to.deep.equal({
        changes: ["update aws_lambda_function.f"],
        drift: ["aws_sqs_queue.q (delay_seconds)"],
      });
    });
  });
});
