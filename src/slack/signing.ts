import { createHmac } from "node:crypto";

/** Slack's request signature: `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{body}`). */
export function slackSignature(signingSecret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** Headers for a request signed exactly as Slack signs it. */
export function signedHeaders(signingSecret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  return {
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": slackSignature(signingSecret, timestamp, body),
  };
}
