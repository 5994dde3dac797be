import type { Reply } from "../http/reply.ts";
import type { Operation } from "./classify.ts";

/** The service's own AccessDenied answer, naming the principal, the action and the resource. */
export function accessDenied(
  operation: Pick<Operation, "service" | "action" | "resource">,
  principalArn: string,
  why: string,
  requestId: string,
): Reply {
  const message = `User: ${principalArn} is not authorized to perform: ${operation.action} on resource: ${operation.resource} because ${why}`;
  const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  switch (operation.service) {
    case "s3":
      return {
        status: 403,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
    case "ec2":
      return {
        status: 403,
        headers: { "content-type": "text/xml" },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. ${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case "monitoring":
      return {
        status: 403,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-requestid": requestId,
          "x-amzn-query-error": "AccessDenied;Sender",
        },
        body: JSON.stringify({ __type: "AccessDenied", message }),
      };
    default:
      return {
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": requestId },
        body: JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", message }),
      };
  }
}
