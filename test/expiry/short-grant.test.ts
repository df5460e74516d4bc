import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestAndApprove } from "../e2e/helpers.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
});
afterAll(async () => {
  await t.close();
});

describe("a grant shorter than the reminder lead time", () => {
  it("gets no 'ends soon' reminder the moment it starts, and still ends on time", async () => {
    const { id } = await requestAndApprove(t, "aks-prod-dev", 60);
    await t.bot.scheduler.run("reminders");
    expect(t.slack.dmsOf("U0ALICE").some((m) => m.text.includes("ends soon"))).toBe(false);
    await t.clock.advance(61_000);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "expired", "the expiry");
    await t.bot.engine.idle();
    expect((await t.store.grants.get(id))?.status).toBe("ended");
  });
});
