import { afterEach, describe, expect, it } from "vitest";
import { PartialRevokeError } from "../../src/grants/composite.js";
import { ProviderError } from "../../src/grants/errors.js";
import type { ActiveGrant, ReadBack } from "../../src/grants/provider.js";
import { sample } from "../observability/helpers.js";
import { auditOf, driveClock } from "../readback/support.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { activeGrant, clockAt, FakeProvider, registryWith, tick, unavailable } from "./support.js";

/**
 * What one revoke attempt leaves behind, at its edges: the provider's own expiry reached at that
 * very millisecond, an alert exactly an hour after the last, throttling (Retry-After pauses the
 * provider; only the tenth throttled attempt alerts), a composite's partial removal, a profile gone
 * from the policy, the read-back after the revoke (with throttled reads), and the log line and
 * metrics of an end. Each drives one bot's engine directly (`endEarly`) on a clock that only moves
 * when told, so every time compared is exact.
 */
const HOUR = 3_600_000;
const open: TestBot[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
});

/** A provider whose read-back is scripted per read (1-based), with the clock time of each read. */
class ReadingProvider extends FakeProvider {
  readonly reads: number[] = [];
  now: () => number = () => 0;
  script: (read: number) => ReadBack | Error = () => ({ status: "gone", detail: "gone from the fake cloud" });

  async readBack(_grant: ActiveGrant): Promise<ReadBack> {
    this.reads.push(this.now());
    const result = this.script(this.reads.length);
    if (result instanceof Error) throw result;
    return result;
  }
}

async function botWith(fake: FakeProvider): Promise<TestBot> {
  const t = await startTestBot({ clock: clockAt(), providers: registryWith(fake) });
  open.push(t);
  if (fake instanceof ReadingProvider) fake.now = () => t.clock.now().getTime();
  return t;
}

const alerts = (t: TestBot) => t.slack.messagesIn("C0APPROVALS").filter((m) => m.text.startsWith("Could not revoke"));
const metric = async (t: TestBot, name: string, labels: Record<string, string> = {}) =>
  sample(await t.bot.metrics.registry.metrics(), name, labels) ?? 0;
const logged = (t: TestBot, msg: string) =>
  t.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === msg);
const setGrant = (
  t: TestBot,
  id: string,
  values: { provider_expires_at?: number; revoke_attempts?: number; last_alert_at?: number },
) => t.store.kysely.updateTable("grants").set(values).where("request_id", "=", id).execute();
/** Ends `id` early now, moving the clock only while the engine waits on it (read-back delays, pauses). */
async function endNow(t: TestBot, id: string): Promise<void> {
  await driveClock(t.clock, t.bot.engine.endEarly(id, "U0ALICE"));
  await t.settle();
}
const throttled = (retryAfterMs?: number) =>
  new ProviderError("THROTTLED", "The fake cloud is throttling; jitbot waits and retries.", { retryAfterMs });

describe("a revoke that fails", () => {
  it("is settled by the provider's own expiry from the very millisecond it passes", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    fake.revokeFailure = unavailable;
    await setGrant(t, id, { provider_expires_at: t.clock.now().getTime() });
    await endNow(t, id);
    const grant = await t.store.grants.get(id);
    expect(grant).toMatchObject({ status: "ended", endReason: "revoked", revokeAttempts: 0 });
    expect(fake.revokeAttempts).toBe(1);
    expect(alerts(t)).toHaveLength(0);
    // Nothing was read back: the end is not claimed as verified.
    expect((await auditOf(t.store, id)).find((r) => r.action === "request.revoked")?.detail).toMatchObject({
      verified: false,
    });
  });

  it("alerts the channel again exactly an hour after the last alert, not a millisecond sooner", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id: hourAgo } = await activeGrant(t, "aks-prod-sre", 3600);
    const { id: justUnder } = await activeGrant(t, "aks-prod-sre", 3600);
    fake.revokeFailure = unavailable;
    const now = t.clock.now().getTime();
    await setGrant(t, hourAgo, { last_alert_at: now - HOUR });
    await setGrant(t, justUnder, { last_alert_at: now - HOUR + 1 });
    await endNow(t, justUnder);
    expect(alerts(t)).toHaveLength(0);
    expect((await t.store.grants.get(justUnder))?.lastAlertAt?.getTime()).toBe(now - HOUR + 1);
    await endNow(t, hourAgo);
    expect(alerts(t)).toHaveLength(1);
    expect(alerts(t)[0]?.text).toContain(hourAgo);
    expect((await t.store.grants.get(hourAgo))?.lastAlertAt?.getTime()).toBe(now);
  });

  it("counts each failure by provider, keeps the grant's state, and moves its due time by the backoff", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    const before = await t.store.grants.get(id);
    fake.revokeFailure = unavailable;
    const now = t.clock.now().getTime();
    await endNow(t, id);
    const after = await t.store.grants.get(id);
    expect(after?.state).toEqual(before?.state);
    // backoffMs(0): 5 s, jittered down to half.
    expect((after?.dueAt.getTime() ?? 0) - now).toBeGreaterThanOrEqual(2_500);
    expect((after?.dueAt.getTime() ?? 0) - now).toBeLessThanOrEqual(5_000);
    expect(await metric(t, "jitbot_revocation_failures_total", { provider: "entra-group" })).toBe(1);
    // A sweep counts what ended: a failed revoke is not one, nor is a grant the store had already ended.
    await t.store.kysely.updateTable("grants").set({ due_at: t.clock.now().getTime() }).execute();
    expect(await t.bot.engine.sweep()).toBe(0);
    fake.revokeFailure = () => undefined;
    t.store.grants.end = async () => undefined;
    await t.store.kysely.updateTable("grants").set({ due_at: t.clock.now().getTime() }).execute();
    expect(await t.bot.engine.sweep()).toBe(0);
  });
});

describe("a sweep whose store fails while revoking one grant", () => {
  it("records that grant's failure with backoff and goes on with the others", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id: broken } = await activeGrant(t, "aks-prod-sre", 3600);
    const { id: fine } = await activeGrant(t, "aks-prod-sre", 3600);
    const end = t.store.grants.end.bind(t.store.grants);
    t.store.grants.end = async (input) => {
      if (input.requestId === broken) throw new Error("disk I/O error");
      return end(input);
    };
    await t.store.kysely.updateTable("grants").set({ due_at: t.clock.now().getTime() }).execute();
    const now = t.clock.now().getTime();
    expect(await t.bot.engine.sweep()).toBe(1);
    expect((await t.store.grants.get(fine))?.status).toBe("ended");
    const grant = await t.store.grants.get(broken);
    expect(grant).toMatchObject({ status: "active", revokeAttempts: 1 });
    expect(grant?.lastError).toContain("Something went wrong inside jitbot (reference ");
    // backoffMs(0): 5 s, jittered down to half.
    expect((grant?.dueAt.getTime() ?? 0) - now).toBeGreaterThanOrEqual(2_500);
    expect((grant?.dueAt.getTime() ?? 0) - now).toBeLessThanOrEqual(5_000);
    expect(logged(t, "revoke failed").at(-1)).toMatchObject({ requestId: broken, err: "disk I/O error" });
  });

  it("logs a failure it could not record, and still goes on", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id: broken } = await activeGrant(t, "aks-prod-sre", 3600);
    const { id: fine } = await activeGrant(t, "aks-prod-sre", 3600);
    const end = t.store.grants.end.bind(t.store.grants);
    t.store.grants.end = async (input) => {
      if (input.requestId === broken) throw new Error("disk I/O error");
      return end(input);
    };
    t.store.grants.revokeFailed = async () => {
      throw new Error("database is locked");
    };
    await t.store.kysely.updateTable("grants").set({ due_at: t.clock.now().getTime() }).execute();
    expect(await t.bot.engine.sweep()).toBe(1);
    expect((await t.store.grants.get(fine))?.status).toBe("ended");
    expect(logged(t, "could not record a failed revoke")).toEqual([
      expect.objectContaining({ level: 50, requestId: broken, err: "Error: database is locked" }),
    ]);
  });
});

describe("a throttled revoke", () => {
  it("waits the Retry-After: the grant is due then, and every call to that provider waits for it", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id: first } = await activeGrant(t, "aks-prod-sre", 3600);
    const { id: second } = await activeGrant(t, "aks-prod-sre", 3600);
    const calls: { id: string; at: number }[] = [];
    fake.revokeFailure = (grant) => {
      calls.push({ id: grant.requestId, at: t.clock.now().getTime() });
      return calls.length === 1 ? throttled(90_000) : undefined;
    };
    const start = t.clock.now().getTime();
    await t.bot.engine.endEarly(first, "U0ALICE");
    expect((await t.store.grants.get(first))?.dueAt.getTime()).toBe(start + 90_000);
    // Throttled, not failing: no alert before the tenth attempt.
    await t.settle();
    expect(alerts(t)).toHaveLength(0);

    const waiting = t.bot.engine.endEarly(second, "U0ALICE");
    await t.clock.advance(89_999);
    expect(calls.map((c) => c.id)).toEqual([first]);
    await t.clock.advance(1);
    await waiting;
    await t.settle();
    expect(calls.find((c) => c.id === second)?.at).toBe(start + 90_000);
    expect((await t.store.grants.get(second))?.status).toBe("ended");
  });

  it("alerts only from its tenth attempt on", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id: ninth } = await activeGrant(t, "aks-prod-sre", 3600);
    const { id: tenth } = await activeGrant(t, "aks-prod-sre", 3600);
    fake.revokeFailure = () => throttled();
    await setGrant(t, ninth, { revoke_attempts: 9 });
    await setGrant(t, tenth, { revoke_attempts: 10 });
    await endNow(t, ninth);
    expect(alerts(t)).toHaveLength(0);
    expect((await t.store.grants.get(ninth))?.revokeAttempts).toBe(10);
    await endNow(t, tenth);
    expect(alerts(t)).toHaveLength(1);
    expect(alerts(t)[0]?.text).toContain(tenth);
  });
});

describe("a composite that removed some of its parts", () => {
  it("remembers what it removed (and the cloud's own end), so the retry is handed that state", async () => {
    const fake = new FakeProvider("entra-group");
    fake.providerExpiryOffsetMs = 30 * 60_000;
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    const providerExpiresAt = (await t.store.grants.get(id))?.providerExpiresAt;
    const seen: unknown[] = [];
    fake.revokeFailure = (grant) => {
      seen.push(grant.state);
      return seen.length === 1 ? new PartialRevokeError(unavailable(), { removed: "aks" }) : undefined;
    };
    await endNow(t, id);
    expect(await t.store.grants.get(id)).toMatchObject({
      status: "active",
      state: { removed: "aks" },
      providerExpiresAt,
    });
    await endNow(t, id);
    expect(seen[1]).toEqual({ removed: "aks" });
    expect((await t.store.grants.get(id))?.status).toBe("ended");
  });
});

describe("a grant whose profile is gone from the policy", () => {
  it("is retried without an alert, counted as an unknown provider, and ended by the cloud's own end without a DM", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await t.store.kysely.updateTable("requests").set({ profile_id: "retired-profile" }).where("id", "=", id).execute();
    await endNow(t, id);
    expect((await t.store.grants.get(id))?.status).toBe("active");
    expect(fake.revokeAttempts).toBe(0);
    expect(alerts(t)).toHaveLength(0);
    expect(await metric(t, "jitbot_revocation_failures_total", { provider: "unknown" })).toBe(1);
    expect(logged(t, "revoke failed").at(-1)?.err).toBe(
      "profile retired-profile or its provider is gone from the policy",
    );

    await setGrant(t, id, { provider_expires_at: t.clock.now().getTime() - 1 });
    const dms = t.slack.dmsOf("U0ALICE").length;
    await endNow(t, id);
    expect(await t.store.grants.get(id)).toMatchObject({ status: "ended" });
    expect(t.slack.dmsOf("U0ALICE")).toHaveLength(dms);
    expect(logged(t, "background work failed")).toEqual([]);
  });
});

describe("the end of a revoke", () => {
  it("logs who, why and what, and counts the revoke as unverified when the provider cannot read back", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await endNow(t, id);
    expect(logged(t, "access ended")).toEqual([
      expect.objectContaining({
        level: 30,
        requestId: id,
        reason: "revoked",
        detail: "fake: removed alice@contoso.com",
        verified: false,
      }),
    ]);
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "false" })).toBe(1);
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "true" })).toBe(0);
    const calls = { provider: "entra-group", verb: "revoke", outcome: "ok" };
    expect(await metric(t, "jitbot_provider_call_duration_seconds_count", calls)).toBe(1);
    // An early revoke is not lateness.
    expect(await metric(t, "jitbot_revocation_lag_seconds_count")).toBe(0);
  });

  it("measures an expiry's lateness from the grant's end to the confirmed revoke, in seconds", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    fake.revokeFailure = () => (fake.revokeAttempts === 1 ? unavailable() : undefined);
    await tick(t, 61 * 60_000, 60_000);
    const grant = await t.store.grants.get(id);
    expect(grant).toMatchObject({ status: "ended", endReason: "expired" });
    const lateMs = (grant?.endedAt?.getTime() ?? 0) - (grant?.expiresAt.getTime() ?? 0);
    expect(lateMs).toBeGreaterThanOrEqual(2_500);
    expect(await metric(t, "jitbot_revocation_lag_seconds_count")).toBe(1);
    expect(await metric(t, "jitbot_revocation_lag_seconds_sum")).toBe(lateMs / 1000);
  });
});

describe("the read-back after a revoke", () => {
  it("a removal the first read shows ends the grant verified, with what was read", async () => {
    const fake = new ReadingProvider("entra-group");
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await endNow(t, id);
    expect(fake.reads).toHaveLength(1);
    expect((await auditOf(t.store, id)).find((r) => r.action === "request.revoked")?.detail).toEqual({
      detail: "fake: removed alice@contoso.com",
      verified: true,
      readBack: "gone from the fake cloud",
    });
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "true" })).toBe(1);
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "false" })).toBe(0);
    expect(logged(t, "access ended").at(-1)).toMatchObject({ verified: true });
  });

  it("keys that cannot be recalled end the grant unverified, with what was read", async () => {
    const fake = new ReadingProvider("entra-group");
    fake.script = () => ({ status: "unrecallable", detail: "issued keys work until they expire" });
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await endNow(t, id);
    expect((await auditOf(t.store, id)).find((r) => r.action === "request.revoked")?.detail).toEqual({
      detail: "fake: removed alice@contoso.com",
      verified: false,
      readBack: "issued keys work until they expire",
    });
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "false" })).toBe(1);
  });

  it("access still shown keeps the grant active and alerts, even past the cloud's own end", async () => {
    const fake = new ReadingProvider("entra-group");
    fake.script = () => ({ status: "present", detail: "alice is a member" });
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await setGrant(t, id, { provider_expires_at: t.clock.now().getTime() - 1 });
    await endNow(t, id);
    const grant = await t.store.grants.get(id);
    expect(grant?.status).toBe("active");
    expect(grant?.lastError).toContain(
      "The cloud still shows the access after jitbot removed it (alice is a member); jitbot keeps the grant active and retries the revoke.",
    );
    expect(logged(t, "revoke failed").at(-1)?.code).toBe("NOT_REVOKED");
    expect(alerts(t)).toHaveLength(1);
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "false" })).toBe(1);
  });

  it("a read that cannot run is not retried in place; past the cloud's own end, that end settles the revoke", async () => {
    const fake = new ReadingProvider("entra-group");
    fake.script = () => unavailable();
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await endNow(t, id);
    expect(fake.reads).toHaveLength(1);
    expect((await t.store.grants.get(id))?.status).toBe("active");
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "false" })).toBe(1);

    await setGrant(t, id, { provider_expires_at: t.clock.now().getTime() });
    await endNow(t, id);
    expect(fake.reads).toHaveLength(2);
    expect(await t.store.grants.get(id)).toMatchObject({ status: "ended" });
    expect(await metric(t, "jitbot_revocations_total", { provider: "entra-group", verified: "false" })).toBe(2);
  });

  it("a throttled read waits its Retry-After and reads again, up to five reads, without revoking again", async () => {
    const fake = new ReadingProvider("entra-group");
    fake.script = (read) => (read <= 4 ? throttled(2_000) : { status: "gone", detail: "gone at last" });
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await endNow(t, id);
    expect(fake.reads.slice(1).map((at, i) => at - (fake.reads[i] ?? 0))).toEqual([2_000, 2_000, 2_000, 2_000]);
    expect(fake.revokeAttempts).toBe(1);
    expect(await t.store.grants.get(id)).toMatchObject({ status: "ended" });
  });

  it("a fifth throttled read fails the revoke (retried later), without an alert", async () => {
    const fake = new ReadingProvider("entra-group");
    fake.script = (read) => (read <= 5 ? throttled(2_000) : { status: "gone", detail: "gone at last" });
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await endNow(t, id);
    expect(fake.reads).toHaveLength(5);
    expect((await t.store.grants.get(id))?.status).toBe("active");
    expect(logged(t, "revoke failed").at(-1)?.code).toBe("THROTTLED");
    expect(alerts(t)).toHaveLength(0);
  });

  it("a throttled read without Retry-After backs off by its attempt", async () => {
    const fake = new ReadingProvider("entra-group");
    fake.script = (read) => (read === 1 ? throttled() : { status: "gone", detail: "gone at last" });
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    await endNow(t, id);
    // backoffMs(1): 10 s, jittered down to half.
    const waited = (fake.reads[1] ?? 0) - (fake.reads[0] ?? 0);
    expect(waited).toBeGreaterThanOrEqual(5_000);
    expect(waited).toBeLessThanOrEqual(10_000);
  });
});
