import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import type { AutoApproveOnCall } from "../../src/oncall/config.js";
import { OnCallLookup } from "../../src/oncall/index.js";
import { PagerDutyOnCall } from "../../src/oncall/pagerduty.js";
import { startFakePagerDuty } from "../fakes/pagerduty-server.js";
import { waitFor } from "../support/bot.js";
import { closedPort } from "../support/closed-port.js";

const pd = await startFakePagerDuty();
afterAll(() => pd.close());

const setting = (schedules: string[] = ["PPAYMNT"]): AutoApproveOnCall => ({
  provider: "pagerduty",
  schedules,
  max: 7200,
});
const alice = { id: "PALICE1", name: "Alice Requester", email: "Alice@Contoso.com" };
const person = (n: number) => ({ id: `PU${n}`, name: `User ${n}`, email: `user${n}@contoso.com` });

function lookup(options: { token?: string; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock();
  const source = new PagerDutyOnCall(options.token ?? pd.token, pd.baseUrl);
  return { clock, lookup: new OnCallLookup({ pagerduty: source }, clock) };
}

beforeEach(() => {
  pd.schedules.clear();
  pd.calls.length = 0;
  pd.answer();
  pd.schedules.set("PPAYMNT", { id: "PPAYMNT", name: "Payments primary", onCall: [person(1), alice] });
  pd.schedules.set("PSECOND", { id: "PSECOND", name: "Payments secondary", onCall: [person(2)] });
});

describe("PagerDuty GET /oncalls", () => {
  it("finds the requester by email, whatever its case, and names the schedule they are on call for", async () => {
    const { lookup: l } = lookup();
    expect(await l.check(setting(), "alice@CONTOSO.com")).toEqual({
      kind: "on_call",
      provider: "pagerduty",
      scheduleId: "PPAYMNT",
      scheduleName: "Payments primary",
    });
    const [call] = pd.calls;
    expect(call?.authorization).toBe(`Token token=${pd.token}`);
    expect(call?.accept).toBe("application/vnd.pagerduty+json;version=2");
    expect(call?.query.getAll("schedule_ids[]")).toEqual(["PPAYMNT"]);
    expect(call?.query.getAll("include[]")).toEqual(["users"]);
    // No since/until: PagerDuty's default for both is now.
    expect(call?.query.has("since") || call?.query.has("until")).toBe(false);
  });

  it("answers not on call for someone on another schedule only", async () => {
    const { lookup: l } = lookup();
    expect(await l.check(setting(), "user2@contoso.com")).toEqual({ kind: "not_on_call", provider: "pagerduty" });
  });

  it("follows offset pagination while `more` is true, and finds someone on the third page", async () => {
    const crowd = Array.from({ length: 230 }, (_, i) => person(i + 10));
    pd.schedules.set("PPAYMNT", { id: "PPAYMNT", name: "Payments primary", onCall: [...crowd, alice] });
    const { lookup: l } = lookup();
    expect((await l.check(setting(), "alice@contoso.com")).kind).toBe("on_call");
    expect(pd.calls.map((c) => [c.query.get("offset"), c.query.get("limit")])).toEqual([
      ["0", "100"],
      ["100", "100"],
      ["200", "100"],
    ]);
  });

  it("is unavailable, not 'not on call', when the key is refused (401), and says so", async () => {
    const { lookup: l } = lookup({ token: "a-revoked-key" });
    expect(await l.check(setting(), "alice@contoso.com")).toEqual({
      kind: "unavailable",
      provider: "pagerduty",
      failure: { code: "UNAUTHORIZED" },
    });
  });

  it("logs a failure for operators with its code, and never the key", async () => {
    const lines: string[] = [];
    const log = (obj: object, msg?: string) => void lines.push(`${msg} ${JSON.stringify(obj)}`);
    const logger = { debug: log, info: log, warn: log, error: log };
    const source = new PagerDutyOnCall("u+revoked-key-0001", pd.baseUrl);
    await new OnCallLookup({ pagerduty: source }, new ManualClock(), { logger }).check(setting(), "alice@contoso.com");
    expect(lines).toEqual([
      'on-call lookup failed; the request goes to approvers {"provider":"pagerduty","schedule":"PPAYMNT","failure":{"code":"UNAUTHORIZED"}}',
    ]);
    expect(lines.join()).not.toContain("revoked-key");
  });

  it("the fake refuses any other header form, as PagerDuty documents (Bearer is a 401)", async () => {
    const res = await fetch(`${pd.baseUrl}/oncalls`, { headers: { Authorization: `Bearer ${pd.token}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { message: "Authentication failed", code: 2006 } });
  });

  it("reads 429's ratelimit-reset (and a Retry-After), and asks nothing more until that has passed", async () => {
    pd.throttleNext(1, 30);
    const { lookup: l, clock } = lookup();
    const throttled = {
      kind: "unavailable",
      provider: "pagerduty",
      failure: { code: "RATE_LIMITED", retryAfterSeconds: 30 },
    };
    expect(await l.check(setting(), "alice@contoso.com")).toEqual(throttled);
    await clock.advance(29_000);
    expect(await l.check(setting(), "alice@contoso.com")).toEqual(throttled);
    expect(pd.calls).toHaveLength(1);
    await clock.advance(1_000);
    expect((await l.check(setting(), "alice@contoso.com")).kind).toBe("on_call");
    expect(pd.calls).toHaveLength(2);

    pd.throttleNext(1, 0, 7);
    const other = lookup().lookup;
    expect(await other.check(setting(["PSECOND"]), "alice@contoso.com")).toMatchObject({
      failure: { code: "RATE_LIMITED", retryAfterSeconds: 0 },
    });
  });

  it("gives up at its deadline when PagerDuty hangs, and the answer is a timeout", async () => {
    pd.hang();
    const { lookup: l, clock } = lookup();
    const pending = l.check(setting(), "alice@contoso.com");
    await waitFor(() => pd.calls.length === 1, "the request to reach PagerDuty");
    await clock.advance(2_000);
    expect(await pending).toEqual({
      kind: "unavailable",
      provider: "pagerduty",
      failure: { code: "TIMEOUT", timeoutMs: 2000 },
    });
  });

  it("is unavailable when PagerDuty cannot be reached at all", async () => {
    const port = await closedPort();
    const l = new OnCallLookup(
      { pagerduty: new PagerDutyOnCall(pd.token, `http://127.0.0.1:${port}`) },
      new ManualClock(),
    );
    expect(await l.check(setting(), "alice@contoso.com")).toMatchObject({ failure: { code: "UNREACHABLE" } });
  });

  it("is unavailable on a 500, and when one of two schedules cannot be read and the other does not name them", async () => {
    pd.failNext(1);
    const { lookup: l } = lookup();
    expect(await l.check(setting(), "alice@contoso.com")).toMatchObject({
      failure: { code: "SERVER_ERROR", status: 500 },
    });
    pd.failNext(1);
    expect(await lookup().lookup.check(setting(["PSECOND", "PPAYMNT"]), "nobody@contoso.com")).toMatchObject({
      kind: "unavailable",
    });
  });

  it("keeps each schedule's answer for 60 s of the clock, then asks again", async () => {
    const { lookup: l, clock } = lookup();
    await l.check(setting(), "alice@contoso.com");
    await l.check(setting(), "user1@contoso.com");
    expect(pd.calls).toHaveLength(1);
    await l.check(setting(["PSECOND"]), "alice@contoso.com");
    expect(pd.calls).toHaveLength(2);
    // Alice goes off call; the cached answer still stands until it is 60 s old.
    pd.schedules.set("PPAYMNT", { id: "PPAYMNT", name: "Payments primary", onCall: [person(1)] });
    await clock.advance(59_000);
    expect((await l.check(setting(), "alice@contoso.com")).kind).toBe("on_call");
    await clock.advance(1_000);
    expect((await l.check(setting(), "alice@contoso.com")).kind).toBe("not_on_call");
    expect(pd.calls).toHaveLength(3);
  });

  it("does not cache a failure: the next request asks again", async () => {
    pd.failNext(1);
    const { lookup: l } = lookup();
    expect((await l.check(setting(), "alice@contoso.com")).kind).toBe("unavailable");
    expect((await l.check(setting(), "alice@contoso.com")).kind).toBe("on_call");
  });

  it("without a key, answers 'not configured' naming the variable, and sends nothing", async () => {
    const l = new OnCallLookup({}, new ManualClock());
    expect(await l.check(setting(), "alice@contoso.com")).toEqual({
      kind: "unavailable",
      provider: "pagerduty",
      failure: { code: "NOT_CONFIGURED", variable: "PAGERDUTY_TOKEN" },
    });
    expect(pd.calls).toHaveLength(0);
  });
});
