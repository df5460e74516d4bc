import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNING_SECRET, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { ControlledProvider, registryWith, requestAndApprove, sample, scrape } from "./helpers.js";

const METRICS = [
  "jitbot_requests",
  "jitbot_grants_active",
  "jitbot_revocation_lag_seconds",
  "jitbot_revocation_failures_total",
  "jitbot_provider_call_duration_seconds",
  "jitbot_slack_ack_duration_seconds",
];

let t: TestBot;
let provider: ControlledProvider;
let requestId: string;
beforeAll(async () => {
  provider = new ControlledProvider("entra-group");
  t = await startTestBot({ providers: registryWith(provider) });
});
afterAll(() => t.close());

describe("/metrics through one request's life", () => {
  it("exposes every metric in Prometheus text format from the start", async () => {
    const res = await fetch(`${t.bot.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of METRICS) expect(text).toContain(`# TYPE ${name} `);
    expect(sample(text, "jitbot_grants_active")).toBe(0);
    // Started at 0 per provider, so an alert on increase() works before the first failure.
    expect(sample(text, "jitbot_revocation_failures_total", { provider: "entra-group" })).toBe(0);
  });

  it("counts the active grant, the provider call and every Slack ack after an approval", async () => {
    requestId = await requestAndApprove(t);
    const text = await scrape(t.bot.url);
    expect(sample(text, "jitbot_requests", { state: "active" })).toBe(1);
    expect(sample(text, "jitbot_grants_active")).toBe(1);
    const grantCalls = { provider: "entra-group", verb: "grant", outcome: "ok" };
    expect(sample(text, "jitbot_provider_call_duration_seconds_count", grantCalls)).toBe(1);
    expect(sample(text, "jitbot_provider_call_duration_seconds_sum", grantCalls)).toBeLessThan(5);
    // The command, the modal submission and the Approve click were each acked.
    const acks = sample(text, "jitbot_slack_ack_duration_seconds_count") ?? 0;
    expect(acks).toBeGreaterThanOrEqual(3);
    expect(sample(text, "jitbot_slack_ack_duration_seconds_bucket", { le: "3" })).toBe(acks);
  });

  it("counts a failed revocation at expiry, then the lag once the retry succeeds", async () => {
    provider.failRevokes = 1;
    await t.clock.advance(2 * 3600_000 + 1_000);
    await waitFor(async () => ((await t.store.grants.get(requestId))?.revokeAttempts ?? 0) > 0, "the failed revoke");
    let text = await scrape(t.bot.url);
    expect(sample(text, "jitbot_revocation_failures_total", { provider: "entra-group" })).toBe(1);
    expect(sample(text, "jitbot_provider_call_duration_seconds_count", { verb: "revoke", outcome: "error" })).toBe(1);
    expect(sample(text, "jitbot_grants_active")).toBe(1);
    expect(sample(text, "jitbot_revocation_lag_seconds_count")).toBe(0);

    await t.clock.advance(15 * 60_000);
    await waitFor(async () => (await t.store.requests.mustGet(requestId)).status === "expired", "the retried revoke");
    text = await scrape(t.bot.url);
    expect(sample(text, "jitbot_requests", { state: "expired" })).toBe(1);
    expect(sample(text, "jitbot_requests", { state: "active" })).toBeUndefined();
    expect(sample(text, "jitbot_grants_active")).toBe(0);
    expect(sample(text, "jitbot_provider_call_duration_seconds_count", { verb: "revoke", outcome: "ok" })).toBe(1);
    expect(sample(text, "jitbot_revocation_lag_seconds_count")).toBe(1);
    // Revoked on the first retry: seconds after expires_at (the backoff), not the whole 15 minutes.
    const lag = sample(text, "jitbot_revocation_lag_seconds_sum") ?? -1;
    expect(lag).toBeGreaterThan(1);
    expect(lag).toBeLessThan(15);
  });
});

describe("logs", () => {
  const parsed = () => t.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

  it("are one JSON object per line, with level, time and app", () => {
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) {
      expect(line.endsWith("\n")).toBe(true);
      expect(line.trimEnd()).not.toContain("\n");
    }
    for (const entry of parsed()) {
      expect(entry).toMatchObject({ app: "jitbot" });
      expect(typeof entry.level).toBe("number");
      expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false);
    }
  });

  it("name the request and a correlation id when a provider call fails", () => {
    const failure = parsed().find((entry) => entry.requestId === requestId && entry.correlationId !== undefined);
    expect(failure).toMatchObject({ verb: "revoke", code: "UNAVAILABLE" });
    expect(String(failure?.correlationId)).toMatch(/\S{4,}/);
  });

  it("never contain the Slack bot token or the signing secret", () => {
    const all = t.logs.join("");
    expect(all).not.toContain("xoxb-test-token");
    expect(all).not.toContain(t.slack.token);
    expect(all).not.toContain(SIGNING_SECRET);
  });
});
