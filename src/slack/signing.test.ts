import { describe, expect, it } from "vitest";
import { signedHeaders, slackSignature } from "./signing.js";

// From Slack's "Verifying requests from Slack" documentation.
const DOC = {
  secret: "8f742231b10e8888abcd99yyyzzz85a5",
  timestamp: 1531420618,
  body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
};

describe("slackSignature", () => {
  it("matches Slack's documented example", () => {
    expect(slackSignature(DOC.secret, DOC.timestamp, DOC.body)).toBe(DOC.signature);
  });

  const changes = [
    { name: "another secret", secret: `${DOC.secret}x`, timestamp: DOC.timestamp, body: DOC.body },
    { name: "another timestamp", secret: DOC.secret, timestamp: DOC.timestamp + 1, body: DOC.body },
    { name: "one more byte of body", secret: DOC.secret, timestamp: DOC.timestamp, body: `${DOC.body}&` },
  ];
  for (const change of changes) {
    it(`changes with ${change.name}`, () => {
      expect(slackSignature(change.secret, change.timestamp, change.body)).not.toBe(DOC.signature);
    });
  }
});

describe("signedHeaders", () => {
  it("signs with the current Unix time in seconds, as Slack does", () => {
    const before = Math.floor(Date.now() / 1000);
    const headers = signedHeaders(DOC.secret, DOC.body);
    const after = Math.floor(Date.now() / 1000);
    const timestamp = Number(headers["x-slack-request-timestamp"]);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    expect(headers["x-slack-signature"]).toBe(slackSignature(DOC.secret, timestamp, DOC.body));
  });

  it("uses the timestamp it is given", () => {
    expect(signedHeaders(DOC.secret, DOC.body, DOC.timestamp)).toEqual({
      "x-slack-request-timestamp": String(DOC.timestamp),
      "x-slack-signature": DOC.signature,
    });
  });
});
