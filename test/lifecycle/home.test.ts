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

const openHome = (userId: string) =>
  t.driver.post(
    JSON.stringify({
      type: "event_callback",
      team_id: "T0PLAY",
      api_app_id: "A0JITBOT",
      event_id: `Ev${userId}${Date.now()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: "app_home_opened", user: userId, channel: `D${userId}`, tab: "home", event_ts: "1.1" },
    }),
    "application/json",
  );

const home = (userId: string) => JSON.stringify(t.slack.homes.get(userId) ?? {});

describe("App Home", () => {
  it("is published when opened, and stays current for the requester and the approvers who opened it", async () => {
    await openHome("U0ALICE");
    await openHome("U0LEAD");
    await openHome("U0EVE");
    await waitFor(
      () => t.slack.homes.has("U0ALICE") && t.slack.homes.has("U0LEAD") && t.slack.homes.has("U0EVE"),
      "three homes",
    );
    expect(home("U0ALICE")).toContain("None right now.");
    const { id } = await requestAndApprove(t, "aks-prod-sre", 3600);
    await waitFor(
      () => home("U0ALICE").includes(id) && home("U0ALICE").includes("left"),
      "Alice's home with the grant",
    );
    expect(home("U0ALICE")).toContain("jit_revoke");
    // Eve may not decide on aks-prod-sre: her home is not re-published with it.
    expect(home("U0EVE")).not.toContain(id);
  });

  it("shows approvers what waits on them while it waits", async () => {
    const opened = [...t.slack.views.values()].filter((v) => v.userId === "U0ALICE").length;
    await t.driver.command("U0ALICE", "request aks-prod-sre");
    // A new modal: one already submitted would be ignored as a replay.
    const view = await waitFor(
      () => [...t.slack.views.values()].filter((v) => v.userId === "U0ALICE")[opened],
      "the modal",
    );
    await t.driver.submit("U0ALICE", view, {
      profile: "aks-prod-sre",
      duration: "3600",
      justification: "Waiting in Lee's home tab",
      ticket: "",
    });
    await waitFor(
      () => home("U0LEAD").includes("Waiting for your decision") && home("U0LEAD").includes("Waiting in Lee"),
      "Lee's home",
    );
  });
});
