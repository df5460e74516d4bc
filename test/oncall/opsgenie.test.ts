import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import type { AutoApproveOnCall } from "../../src/oncall/config.js";
import { onCallConfigProblems, readOnCallEnv } from "../../src/oncall/env.js";
import { OnCallLookup } from "../../src/oncall/index.js";
import { OpsgenieOnCall } from "../../src/oncall/opsgenie.js";
import { startFakeOpsgenie } from "../fakes/opsgenie-server.js";
import { examplePolicy, waitFor } from "../support/bot.js";

const og = await startFakeOpsgenie();
afterAll(() => og.close());

const SCHEDULE = "4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b";
const setting: AutoApproveOnCall = { provider: "opsgenie", schedules: [SCHEDULE], max: 7200 };

function lookup(apiKey = og.apiKey) {
  const clock = new ManualClock();
  return { clock, lookup: new OnCallLookup({ opsgenie: new OpsgenieOnCall(apiKey, og.baseUrl) }, clock) };
}

beforeEach(() => {
  og.schedules.clear();
  og.calls.length = 0;
  og.schedules.set(SCHEDULE, {
    id: SCHEDULE,
    name: "Payments primary",
    onCall: ["omar@contoso.com", "Alice@Contoso.com"],
  });
});

describe("Opsgenie who-is-on-call", () => {
  it("reads flat on-call recipients (usernames are emails) with a GenieKey, matching case-insensitively", async () => {
    const { lookup: l } = lookup();
    expect(await l.check(setting, "alice@contoso.COM")).toEqual({
      kind: "on_call",
      provider: "opsgenie",
      scheduleId: SCHEDULE,
      scheduleName: "Payments primary",
    });
    const [call] = og.calls;
    expect(call?.path).toBe(`/v2/schedules/${SCHEDULE}/on-calls`);
    expect(call?.authorization).toBe(`GenieKey ${og.apiKey}`);
    expect(call?.query.get("flat")).toBe("true");
    expect(call?.query.get("scheduleIdentifierType")).toBe("id");
    expect((await l.check(setting, "eve@contoso.com")).kind).toBe("not_on_call");
    expect(og.calls).toHaveLength(1);
  });

  it("maps 401, 403 (40301), 404 and 429 (X-RateLimit-Period-In-Sec) to failures, never to an answer", async () => {
    expect((await lookup("wrong-key").lookup.check(setting, "alice@contoso.com")) as object).toMatchObject({
      failure: { code: "UNAUTHORIZED" },
    });
    og.forbiddenNext();
    expect(await lookup().lookup.check(setting, "alice@contoso.com")).toMatchObject({ failure: { code: "FORBIDDEN" } });
    expect(
      await lookup().lookup.check({ ...setting, schedules: ["no-such-schedule"] }, "alice@contoso.com"),
    ).toMatchObject({ failure: { code: "SCHEDULE_NOT_FOUND", scheduleId: "no-such-schedule" } });
    og.throttleNext(1, 60);
    expect(await lookup().lookup.check(setting, "alice@contoso.com")).toMatchObject({
      kind: "unavailable",
      failure: { code: "RATE_LIMITED", retryAfterSeconds: 60 },
    });
  });

  it("ends at the deadline when Opsgenie hangs", async () => {
    og.hang();
    const { lookup: l, clock } = lookup();
    const pending = l.check(setting, "alice@contoso.com");
    await waitFor(() => og.calls.length === 1, "the request to reach Opsgenie");
    await clock.advance(2_000);
    expect(await pending).toMatchObject({ kind: "unavailable", failure: { code: "TIMEOUT" } });
  });
});

describe("on-call settings from the environment", () => {
  it("defaults to the services' US URLs; OPSGENIE_API_URL selects the EU instance", () => {
    expect(readOnCallEnv({})).toEqual({
      pagerduty: { token: undefined, apiUrl: "https://api.pagerduty.com" },
      opsgenie: { apiKey: undefined, apiUrl: "https://api.opsgenie.com" },
    });
    expect(
      readOnCallEnv({ OPSGENIE_API_URL: "https://api.eu.opsgenie.com", OPSGENIE_API_KEY: " k " }).opsgenie,
    ).toEqual({
      apiKey: "k",
      apiUrl: "https://api.eu.opsgenie.com",
    });
  });

  it("names a base URL that is not http(s), without printing any key", () => {
    const problems = onCallConfigProblems(examplePolicy(), {
      PAGERDUTY_TOKEN: "secret-key",
      PAGERDUTY_API_URL: "api.pagerduty.com",
    });
    expect(problems).toEqual([
      'profiles[3].approval.autoApproveOnCall: PAGERDUTY_API_URL ("api.pagerduty.com") is not an http(s) URL.',
    ]);
  });
});
