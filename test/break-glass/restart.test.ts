import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { botDatabases, PEOPLE, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { breakGlass, current } from "./support.js";

// Before the afterAll below: the databases go after the bots are closed.
const databases = botDatabases();
/** One Slack workspace across restarts: the bot that comes back updates the first one's messages. */
const slack = new FakeSlackWebApi(PEOPLE);
let apiUrl: string;
beforeAll(async () => {
  apiUrl = await slack.listen();
});
afterAll(async () => {
  await slack.close();
});

async function firstLife(clock: ManualClock) {
  const location = databases.location();
  const first = await startTestBot({ clock, location, slack: { api: slack, apiUrl } });
  const { id, message } = await breakGlass(first);
  const deadline = (await first.store.requests.mustGet(id)).breakGlass?.confirmBy as Date;
  await first.close();
  return { id, message, deadline, location };
}

const restart = (clock: ManualClock, location: string): Promise<TestBot> =>
  startTestBot({ clock, location, slack: { api: slack, apiUrl } });

describe("a restart in the middle of the confirmation window", () => {
  it("down past the deadline: revoked at start-up, as not confirmed, and the channel is told", async () => {
    const clock = new ManualClock("2026-03-04T10:00:00Z");
    const { id, message, deadline, location } = await firstLife(clock);
    // The bot is down while the deadline passes.
    await clock.advance(deadline.getTime() - clock.now().getTime() + 60_000);
    const second = await restart(clock, location);
    try {
      // The start-up sweep ran before the bot reported ready.
      expect((await second.store.requests.mustGet(id)).status).toBe("revoked");
      expect((await second.store.grants.get(id))?.endReason).toBe("not_confirmed");
      await second.settle();
      await waitFor(
        () =>
          slack.messagesIn("C0APPROVALS").some((m) => m.ts !== message.ts && m.text.includes(`${id} of <@U0ALICE>`)),
        "the channel notice",
      );
      expect(textOf(current(second, message))).toContain("Revoked: no approver confirmed it within 15m.");
    } finally {
      await second.close();
    }
  });

  it("back before the deadline: still revoked exactly at the deadline", async () => {
    const clock = new ManualClock("2026-03-04T12:00:00Z");
    const { id, deadline, location } = await firstLife(clock);
    await clock.advance(5 * 60_000);
    const second = await restart(clock, location);
    try {
      expect((await second.store.requests.mustGet(id)).status).toBe("active");
      await clock.advance(deadline.getTime() - clock.now().getTime() - 1);
      await second.settle();
      expect((await second.store.requests.mustGet(id)).status).toBe("active");
      await clock.advance(1);
      await waitFor(async () => (await second.store.requests.mustGet(id)).status === "revoked", "the revoke");
      const grant = await second.store.grants.get(id);
      expect(grant?.endReason).toBe("not_confirmed");
      expect(grant?.endedAt?.getTime()).toBe(deadline.getTime());
    } finally {
      await second.close();
    }
  });

  it("confirmed before the restart: the new life keeps the grant to its own end", async () => {
    const clock = new ManualClock("2026-03-04T14:00:00Z");
    const location = databases.location();
    const first = await startTestBot({ clock, location, slack: { api: slack, apiUrl } });
    const { id, message } = await breakGlass(first);
    await first.driver.click("U0LEAD", current(first, message), "jit_confirm_break_glass");
    await waitFor(async () => (await first.store.requests.mustGet(id)).breakGlass?.confirmedBy, "the confirmation");
    await first.settle();
    await first.close();
    await clock.advance(20 * 60_000);
    const second = await restart(clock, location);
    try {
      expect((await second.store.requests.mustGet(id)).status).toBe("active");
      await clock.advance(40 * 60_000);
      await waitFor(async () => (await second.store.requests.mustGet(id)).status === "expired", "the expiry");
    } finally {
      await second.close();
    }
  });
});
