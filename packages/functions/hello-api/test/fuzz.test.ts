import { expect } from "chai";
import fc from "fast-check";
import { type AnswerHelloDeps, answerHello } from "../src/answer-hello.ts";
import { loadEvent, testDeps } from "./fixtures.ts";

const quiet = { info() {}, warn() {}, error() {} } as unknown as AnswerHelloDeps["logger"];
const deps = () => testDeps({ logger: quiet });

/** What every answer must be: a proxy response API Gateway accepts (or it answers 502). */
function expectProxyResponse(response: unknown): void {
  expect(response).to.be.an("object");
  const { statusCode, headers, body } = response as { statusCode: unknown; headers: unknown; body: unknown };
  expect(statusCode).to.be.a("number").within(100, 599);
  expect(headers).to.be.an("object");
  for (const value of Object.values(headers as object)) expect(value).to.be.a("string");
  expect(body).to.be.a("string");
  if (body !== "") JSON.parse(body as string);
}

/** Credential names hello-api redacts, in any case. */
const credentialHeader = fc
  .constantFrom("Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key", "X-Amz-Security-Token")
  .chain((name) => fc.constantFrom(name, name.toLowerCase(), name.toUpperCase()));
const credentialQuery = fc
  .constantFrom("X-Amz-Credential", "X-Amz-Signature", "X-Amz-Security-Token")
  .chain((name) => fc.constantFrom(name, name.toLowerCase(), name.toUpperCase()));
/** A secret distinctive enough that finding it in a body can only be an echo. */
const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((s) => `SECRET-${s}`);
/** Names that are object-prototype members, as JSON can carry them as own keys. */
const trickyName = fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "valueOf");
const anyValue = fc.oneof(
  fc.string(),
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string()),
  fc.dictionary(fc.string(), fc.string()),
);

/** The event with `name: value` added to its headers as an own key (as JSON.parse makes `__proto__`). */
function withOwnHeader(
  event: Record<string, unknown>,
  name: string,
  value: unknown,
): Record<string, unknown> {
  const { headers } = event;
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) return event;
  const before = JSON.stringify(headers);
  const entry = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
  const after = before === "{}" ? `{${entry}}` : `{${entry},${before.slice(1)}`;
  return JSON.parse(JSON.stringify(event).replace(`"headers":${before}`, () => `"headers":${after}`));
}

// issue #14: each handler takes arbitrary and almost-valid input without crashing or leaking.
describe("hello-api under fuzzed input (fast-check; a failure prints its seed)", () => {
  it("answers arbitrary JSON with a valid proxy response, never throwing", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        expectProxyResponse(answerHello(input, deps()));
      }),
      { numRuns: 300 },
    );
  });

  it("answers almost-valid events (wrong types, null maps, huge strings, prototype keys) with a valid proxy response", () => {
    const field = fc.constantFrom(
      "httpMethod",
      "path",
      "headers",
      "multiValueHeaders",
      "queryStringParameters",
      "multiValueQueryStringParameters",
      "pathParameters",
      "requestContext",
    );
    fc.assert(
      fc.property(
        field,
        anyValue,
        trickyName,
        fc.string({ maxLength: 200_000 }),
        (name, value, tricky, huge) => {
          // As the event arrives: JSON (so maps have prototypes and `__proto__` can be an own key).
          const event = JSON.parse(JSON.stringify({ ...loadEvent("apigw-get-hello"), [name]: value }));
          if (typeof event.path === "string") event.path += huge.slice(0, 50_000);
          // A prototype-named key as an own key, as JSON.parse makes it.
          const withTricky = withOwnHeader(event, tricky, value);
          expectProxyResponse(answerHello(event, deps()));
          expectProxyResponse(answerHello(withTricky, deps()));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never echoes a credential, whatever the case of its name, in headers, query or identity, or under a prototype key", () => {
    fc.assert(
      fc.property(
        credentialHeader,
        credentialQuery,
        trickyName,
        secret,
        fc.boolean(),
        (header, query, tricky, value, multi) => {
          const event = JSON.parse(JSON.stringify(loadEvent("apigw-get-hello")));
          event.headers = { ...event.headers, [header]: value };
          if (multi) event.multiValueHeaders = { ...event.multiValueHeaders, [header]: [value, value] };
          event.queryStringParameters = { ...(event.queryStringParameters ?? {}), [query]: value };
          event.multiValueQueryStringParameters = { [query]: [value] };
          event.requestContext.identity = {
            ...event.requestContext.identity,
            accessKey: value,
            apiKey: value,
          };
          const smuggled = withOwnHeader(event, tricky, { Authorization: value });
          for (const e of [event, smuggled]) {
            const response = answerHello(e, deps());
            expectProxyResponse(response);
            expect(response.body).to.not.contain(value);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
