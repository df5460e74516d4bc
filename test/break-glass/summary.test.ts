import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { breakGlass, current, WINDOW_MS } from "./support.js";

let t: TestBot;
beforeAll(async () => {
  // Late on a Sunday: the week reported on Monday 2026-03-09 runs from Monday 2026-03-02.
  t = await startTestBot({ clock: new ManualClock("2026-03-08T21:00:00Z") });
});
afterAll(async () => {
  await t.close();
});

describe("the weekly break-glass summary", () => {
  it("tells each break-glass profile's channel who broke glass, when, why, and who confirmed or how it ended", async () => {
    const confirmed = await breakGlass(t, { justification: "Payments pods crash-looping after the deploy" });
    await t.driver.click("U0LEAD", current(t, confirmed.message), "jit_confirm_break_glass");
    await waitFor(
      async () => (await t.store.requests.mustGet(confirmed.id)).breakGlass?.confirmedBy,
      "Lee's confirmation",
    );
    await t.settle();

    const revoked = await breakGlass(t, { justification: "Ingress certificates expired at night" });
    await t.driver.click("U0OMAR", current(t, revoked.message), "jit_revoke");
    await waitFor(async () => (await t.store.requests.mustGet(revoked.id)).status === "revoked", "Omar's revoke");

    const unconfirmed = await breakGlass(t, { justification: "Database failover stuck, nobody answering" });
    await t.clock.advance(WINDOW_MS);
    await waitFor(async () => (await t.store.requests.mustGet(unconfirmed.id)).status === "revoked", "the deadline");
    await t.settle();

    await t.clock.advance(Date.parse("2026-03-09T00:23:00Z") - t.clock.now().getTime());
    await t.settle();
    const before = t.slack.messagesIn("C0APPROVALS").length;
    expect(await t.bot.scheduler.runOncePerPeriod("break-glass-summary")).toBe(true);
    // Once a week across replicas and restarts: a second run in the same week posts nothing.
    expect(await t.bot.scheduler.runOncePerPeriod("break-glass-summary")).toBe(false);
    const posted = t.slack.messagesIn("C0APPROVALS").slice(before);
    // Only the profile that allows break glass (and had uses) gets one.
    expect(posted).toHaveLength(1);
    const summary = textOf(posted[0] ?? { text: "", blocks: [] });
    expect(summary).toContain("Break-glass summary · AKS prod — SRE incident (break glass)");
    expect(summary).toContain("3 break glasses");
    expect(summary).toContain("1 confirmed by an approver");
    const lineOf = (id: string) => summary.split("\\n").find((line) => line.includes(id)) ?? "";
    expect(lineOf(confirmed.id)).toContain("<@U0ALICE>");
    expect(lineOf(confirmed.id)).toContain("✅ confirmed by <@U0LEAD>");
    expect(lineOf(revoked.id)).toContain("⏹️ revoked by <@U0OMAR> before anyone confirmed it");
    expect(lineOf(unconfirmed.id)).toContain("*not confirmed*: revoked at the deadline");
    for (const reason of ["Payments pods crash-looping", "Ingress certificates expired", "Database failover stuck"]) {
      expect(summary).toContain(reason);
    }
    expect(summary).toContain("<!date^1772409600^");
  });

  it("says so when a break-glass profile had no use that week", async () => {
    const quiet = await startTestBot({ clock: new ManualClock("2026-03-16T00:23:00Z") });
    try {
      expect(await quiet.bot.scheduler.runOncePerPeriod("break-glass-summary")).toBe(true);
      const posted = quiet.slack.messagesIn("C0APPROVALS");
      expect(posted).toHaveLength(1);
      expect(posted[0]?.text).toBe(
        "🚨 Break-glass summary for AKS prod — SRE incident (break glass): no uses this week.",
      );
    } finally {
      await quiet.close();
    }
  });
});
