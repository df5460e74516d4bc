/**
 * The end of a grant told late, by the heartbeat, when its own telling was lost: Slack failed the
 * DM or the redaction, or the replica that ended it stopped before telling anyone. The real bot
 * (Bolt over HTTP, the store on the test engine, the WebClient) against the fake Slack; time moves
 * through the injected clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DM_CLAIM_STALE_MS } from "../../src/grants/lease.js";
import { activeGrant, approvalNow, clockAt, FakeProvider, registryWith, tick } from "../expiry/support.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";

const SECRET = "FAKE-SECRET-123";
const open: TestBot[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
});

/** A bot whose grants carry a secret in their DM, with one active grant of Alice's. */
async function withActiveGrant() {
  const t = await startTestBot({ clock: clockAt(), providers: registryWith(new FakeProvider("entra-group")) });
  open.push(t);
  const { id, approval } = await activeGrant(t, "aks-prod-sre", 3600);
  const grant = await t.store.grants.get(id);
  if (!grant?.dmTs) throw new Error("no credential DM");
  const credentialDm = () => t.slack.dmsOf("U0ALICE").find((m) => m.ts === grant.dmTs);
  expect(textOf(credentialDm() ?? { text: "", blocks: [] })).toContain(SECRET);
  return {
    t,
    id,
    grant,
    approval,
    /** The DMs telling Alice that this access ended. */
    endDms: () => t.slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && /has expired|was revoked/.test(m.text)),
    secretShown: () => textOf(credentialDm() ?? { text: "", blocks: [] }).includes(SECRET),
  };
}

/**
 * Moves the clock a second at a time, letting each step's work land: the heartbeat re-arms only
 * after its own store round trips, which on PostgreSQL take longer than a step of the clock.
 */
async function beats(t: TestBot, totalMs: number): Promise<void> {
  for (let done = 0; done < totalMs; done += 1_000) {
    await t.clock.advance(1_000);
    await t.settle();
    await t.store.databaseTime();
  }
}

/** Beats until `probe` holds, for at most `withinMs` of the clock. */
async function beatsUntil(t: TestBot, probe: () => boolean, what: string, withinMs: number): Promise<void> {
  for (let done = 0; !probe(); done += 1_000) {
    if (done >= withinMs) throw new Error(`${what}: not within ${withinMs / 1000} s`);
    await beats(t, 1_000);
  }
}

/** Moves to the grant's end and waits for the end to be committed. */
async function untilEnded(t: TestBot, id: string, expiresAt: Date): Promise<void> {
  await tick(t, expiresAt.getTime() - t.clock.now().getTime() - 10_000, 60_000);
  await beats(t, 11_000);
  await waitFor(async () => (await t.store.grants.get(id))?.status === "ended", "the grant to end");
  await t.settle();
}

describe("an end whose telling was lost is told by the heartbeat", () => {
  it("sends the ended DM Slack failed, once, after the claim of the replica that ended it went stale", async () => {
    const { t, id, grant, approval, endDms, secretShown } = await withActiveGrant();
    t.slack.failNext("chat.postMessage", {
      error: "internal_error",
      matches: (args) => args.channel === "U0ALICE" && String(args.text).includes(id),
    });
    await untilEnded(t, id, grant.expiresAt);
    // The redaction came first and landed; the DM did not.
    expect(secretShown()).toBe(false);
    expect(endDms()).toEqual([]);
    // Its claim is fresh: nobody doubles a telling that may only be slow.
    await beats(t, DM_CLAIM_STALE_MS - 30_000);
    expect(endDms()).toEqual([]);
    await beatsUntil(t, () => endDms().length > 0, "the ended DM, told late", 60_000);
    expect(endDms()[0]?.text).toContain("has expired");
    expect(textOf(approvalNow(t, approval))).toContain("Access has ended");
    // Marked told: no later heartbeat tells it again.
    await beats(t, 5 * 60_000);
    expect(endDms()).toHaveLength(1);
    expect(secretShown()).toBe(false);
  }, 60_000);

  it("redacts the credentials Slack failed to redact, and only then tells the person, once", async () => {
    const { t, id, grant, endDms, secretShown } = await withActiveGrant();
    t.slack.failNext("chat.update", {
      error: "internal_error",
      matches: (args) => args.channel === grant.dmChannel && args.ts === grant.dmTs,
    });
    await untilEnded(t, id, grant.expiresAt);
    // The secret is still on screen: the person is not told the end over a DM that still shows it.
    expect(secretShown()).toBe(true);
    expect(endDms()).toEqual([]);
    await beats(t, DM_CLAIM_STALE_MS - 30_000);
    expect(endDms()).toEqual([]);
    await beatsUntil(t, () => endDms().length > 0, "the ended DM, after the redaction", 60_000);
    expect(secretShown()).toBe(false);
    await beats(t, 5 * 60_000);
    expect(endDms()).toHaveLength(1);
  }, 60_000);

  it("tells an end its replica committed and stopped before telling, after 30 s and within a minute, with nothing to hand from that replica", async () => {
    const { t, id, approval, endDms, secretShown } = await withActiveGrant();
    // What a replica killed right after its commit leaves behind: ended, unclaimed, untold.
    const endedAt = t.clock.now();
    await t.store.grants.end({ requestId: id, reason: "revoked", at: endedAt, actor: "U0ALICE", detail: "removed" });
    await beats(t, 20_000);
    expect(endDms()).toEqual([]);
    // Told from the first beat 30 s after the end; on a busy PostgreSQL a beat re-arms a step or
    // two late, so the window is a minute, as for the other late tellings.
    await beatsUntil(t, () => endDms().length > 0, "the ended DM, from the heartbeat", 60_000);
    expect(endDms()).toHaveLength(1);
    const told = endDms()[0];
    expect(told?.text).toContain("was revoked");
    // What the provider said lived in the stopped replica; the DM says when it ended and why it is late.
    expect(textOf(told ?? { text: "", blocks: [] })).toContain(`Ended at ${endedAt.toISOString()}`);
    expect(secretShown()).toBe(false);
    expect(textOf(approvalNow(t, approval))).toContain("Access was revoked");
    await beats(t, 5 * 60_000);
    expect(endDms()).toHaveLength(1);
  }, 60_000);

  it("does not hold the ended DM back for a credential DM Slack no longer has, and marks the end told", async () => {
    const { t, id, grant, endDms } = await withActiveGrant();
    // The person deleted the DM: chat.update answers message_not_found, which no retry changes.
    t.slack.failNext("chat.update", {
      error: "message_not_found",
      matches: (args) => args.channel === grant.dmChannel && args.ts === grant.dmTs,
    });
    await untilEnded(t, id, grant.expiresAt);
    await waitFor(() => endDms().length === 1, "the ended DM, at once");
    const now = t.clock.now();
    const day = { since: new Date(now.getTime() - 86_400_000), until: now };
    await waitFor(async () => (await t.store.grants.untoldEnds(day, now, 10)).length === 0, "the end marked told");
    await beats(t, 5 * 60_000);
    expect(endDms()).toHaveLength(1);
  }, 60_000);
});
