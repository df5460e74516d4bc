/**
 * A break glass revoked for want of a confirmation whose DM Slack failed: the heartbeat tells the
 * person once the claim of the replica that revoked it went stale, once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { DM_CLAIM_STALE_MS } from "../../src/grants/lease.js";
import { advanceUntil, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { breakGlass } from "./support.js";

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot({ clock: new ManualClock("2026-03-04T10:00:00Z") });
});
afterAll(async () => {
  await t.close();
});

/** A second at a time: the heartbeat re-arms after its own store round trips (slower on PostgreSQL). */
async function beats(totalMs: number): Promise<void> {
  for (let done = 0; done < totalMs; done += 1_000) {
    await t.clock.advance(1_000);
    await t.settle();
    await t.store.databaseTime();
  }
}

describe("a break glass not confirmed, whose DM Slack failed", () => {
  it("is told to the person late, once, by the heartbeat", async () => {
    const { id } = await breakGlass(t);
    const told = () =>
      t.slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && /not confirmed in time/.test(m.text));
    t.slack.failNext("chat.postMessage", {
      error: "internal_error",
      matches: (args) => args.channel === "U0ALICE" && String(args.text).includes(id),
    });
    const deadline = (await t.store.requests.mustGet(id)).breakGlass?.confirmBy as Date;
    await advanceUntil(
      t,
      deadline.getTime() - t.clock.now().getTime(),
      async () => (await t.store.requests.mustGet(id)).status === "revoked",
      "the revoke at the deadline",
    );
    await t.settle();
    expect(told()).toEqual([]);
    await beats(DM_CLAIM_STALE_MS - 30_000);
    expect(told()).toEqual([]);
    // Told from the first beat after the claim went stale; a beat may re-arm a step late on PostgreSQL.
    for (let waited = 0; told().length === 0 && waited < 90_000; waited += 1_000) await beats(1_000);
    await waitFor(() => told().length === 1, "the not-confirmed DM, told late");
    await beats(3 * 60_000);
    expect(told()).toHaveLength(1);
    // The channel notice came before the failed DM, and the retry posts it again (docs/operations.md).
    const notices = t.slack
      .messagesIn("C0APPROVALS")
      .filter((m) => m.text.includes(`Break glass ${id}`) && /not confirmed within/.test(m.text));
    expect(notices).toHaveLength(2);
  }, 60_000);
});
