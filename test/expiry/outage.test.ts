import { afterEach, describe, expect, it } from "vitest";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { activeGrant, clockAt, FakeProvider, registryWith, tick, unavailable } from "./support.js";

const MINUTE = 60_000;
const open: TestBot[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
});

async function botWith(fake: FakeProvider): Promise<TestBot> {
  const t = await startTestBot({ clock: clockAt(), providers: registryWith(fake) });
  open.push(t);
  return t;
}

const alerts = (t: TestBot) => t.slack.messagesIn("C0APPROVALS").filter((m) => m.text.startsWith("Could not revoke"));

describe("the provider is down when a grant expires", () => {
  it("retries with backoff, alerts the channel hourly (not per attempt), and ends the grant once the provider is back", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await botWith(fake);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    fake.revokeFailure = unavailable;

    await tick(t, 60 * MINUTE, MINUTE);
    const first = await t.store.grants.get(id);
    expect(first).toMatchObject({ status: "active", revokeAttempts: 1 });
    expect(first?.lastError).toContain("The fake cloud is down");
    expect(first?.dueAt.getTime()).toBeGreaterThan(t.clock.now().getTime());
    expect(alerts(t)).toHaveLength(1);

    // Down for 170 minutes in all: alerts at 0, in [60, 75] and in [120, 150] minutes; never per attempt.
    for (let minute = 1; minute < 170; minute++) {
      await tick(t, MINUTE, MINUTE);
      expect((await t.store.grants.get(id))?.status).toBe("active");
    }
    const during = await t.store.grants.get(id);
    expect(during?.revokeAttempts).toBeGreaterThanOrEqual(12);
    expect(alerts(t)).toHaveLength(3);
    expect(textOf(alerts(t)[0] ?? { text: "", blocks: [] })).toContain("<@U0ALICE>");
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    expect(fake.revoked.size).toBe(0);

    fake.revokeFailure = () => undefined;
    await tick(t, 16 * MINUTE, MINUTE);
    expect(await t.store.grants.get(id)).toMatchObject({ status: "ended", endReason: "expired" });
    expect((await t.store.grants.get(id))?.lastError).toBeUndefined();
    expect((await t.store.requests.mustGet(id)).status).toBe("expired");
    expect(fake.revoked.get(id)).toBe(1);
    expect(alerts(t)).toHaveLength(3);
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && m.text.includes("has expired")),
      "the expired DM",
    );
  });

  const cloudEnds = [
    { when: "at the grant's own end", offsetMs: 0, endsAfterMs: 0 },
    { when: "30 minutes after the grant's end", offsetMs: 30 * MINUTE, endsAfterMs: 30 * MINUTE },
  ];
  for (const { when, offsetMs, endsAfterMs } of cloudEnds) {
    it(`ends the grant as "ended by the provider's own expiry" once the cloud's own end (${when}) has passed`, async () => {
      const fake = new FakeProvider("entra-group");
      fake.providerExpiryOffsetMs = offsetMs;
      const t = await botWith(fake);
      const { id } = await activeGrant(t, "aks-prod-sre", 3600);
      const grant = await t.store.grants.get(id);
      fake.revokeFailure = unavailable;
      await tick(t, 60 * MINUTE + endsAfterMs - 1, MINUTE);
      expect((await t.store.grants.get(id))?.status).toBe("active");
      await tick(t, 16 * MINUTE, MINUTE);
      const ended = await t.store.grants.get(id);
      expect(ended?.status).toBe("ended");
      expect((ended?.endedAt?.getTime() ?? 0) - (grant?.expiresAt.getTime() ?? 0)).toBeGreaterThanOrEqual(endsAfterMs);
      const dm = await waitFor(
        () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && m.text.includes("has expired")),
        "the expired DM",
      );
      expect(textOf(dm)).toContain("ended by the provider's own expiry");
      expect(fake.revoked.size).toBe(0);
    });
  }
});
