import { randomUUID } from "node:crypto";
import type { Reply } from "../http/reply.ts";

/** How a service's errors look on the wire: S3's XML, the EC2 query XML, or the JSON protocols. */
export type ErrorShape = "s3" | "ec2" | "query" | "json";

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Services that still answer in the AWS query protocol's XML (their SDKs parse nothing else). */
const QUERY_XML = new Set([
  "iam",
  "sts",
  "sns",
  "ses",
  "cloudformation",
  "autoscaling",
  "elasticloadbalancing",
  "rds",
  "elasticache",
  "redshift",
]);

/** The error shape of a service by its signing name (JSON for the rest: DynamoDB, SQS, Logs, …). */
export function errorShapeOf(service: string | undefined): ErrorShape {
  if (service === "s3") return "s3";
  if (service === "ec2") return "ec2";
  if (service && QUERY_XML.has(service)) return "query";
  return "json";
}

/**
 * An error answer in the service's own shape, so an SDK raises it as the named exception (and the
 * message says what to do). Query-protocol services other than EC2 (CloudWatch, SQS) answer in
 * AWS's JSON shape here: their current SDKs speak JSON to them.
 */
export function awsError(
  shape: ErrorShape,
  status: number,
  code: string,
  message: string,
  requestId: string = randomUUID(),
): Reply {
  switch (shape) {
    case "s3":
      return {
        status,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
    case "ec2":
      return {
        status,
        headers: { "content-type": "text/xml" },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case "query":
      return {
        status,
        headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    default:
      return {
        status,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-requestid": requestId,
          "x-amzn-errortype": code,
          "x-amzn-query-error": `${code};Sender`,
        },
        body: JSON.stringify({ __type: code, message }),
      };
  }
}

/** A request the gateway refuses before it reaches moto, with the answer to give. */
export class Refused extends Error {
  override readonly name = "Refused";
  constructor(readonly reply: Reply) {
    super(`refused with HTTP ${reply.status}`);
  }
}

/** Throws {@link Refused} with a 400 in the service's shape. */
export function refuse(shape: ErrorShape, code: string, message: string, status = 400): never {
  throw new Refused(awsError(shape, status, code, message));
}
