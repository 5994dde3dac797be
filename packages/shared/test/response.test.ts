import { expect } from "chai";
import { errorResponse, isWarmupEvent, jsonResponse, WARMUP_RESPONSE } from "../src/index.ts";

describe("jsonResponse", () => {
  it("always sends a string body with JSON content type and the configured CORS origin", () => {
    const response = jsonResponse(200, { ok: true }, { corsOrigin: "https://app.example.com" });
    expect(response).to.deep.equal({
      statusCode: 200,
      headers: {
        "Content-Type": "application/json",
        "Access-Control-Allow-Origin": "https://app.example.com",
      },
      body: '{"ok":true}',
    });
  });

  it("serialises an undefined body as JSON null", () => {
    expect(jsonResponse(200, undefined, { corsOrigin: "*" }).body).to.equal("null");
  });

  it("builds an error body with extra fields and headers", () => {
    const response = errorResponse(405, "Method not allowed", {
      corsOrigin: "*",
      headers: { Allow: "GET, OPTIONS" },
      extra: { request_id: "r-1" },
    });
    expect(response.headers).to.include({ Allow: "GET, OPTIONS" });
    expect(JSON.parse(response.body)).to.deep.equal({ error: "Method not allowed", request_id: "r-1" });
  });
});

describe("isWarmupEvent", () => {
  it("detects an EventBridge Scheduled Event ping", () => {
    expect(isWarmupEvent({ source: "aws.events", "detail-type": "Scheduled Event" })).to.equal(true);
    expect(WARMUP_RESPONSE).to.deep.equal({ statusCode: 200, body: "Warm-up successful" });
  });

  it("ignores other events and non-objects", () => {
    expect(
      isWarmupEvent({ source: "aws.events", "detail-type": "EC2 Instance State-change Notification" }),
    ).to.equal(false);
    expect(isWarmupEvent({ httpMethod: "GET" })).to.equal(false);
    expect(isWarmupEvent(null)).to.equal(false);
    expect(isWarmupEvent("aws.events")).to.equal(false);
  });
});
