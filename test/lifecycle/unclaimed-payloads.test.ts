import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";

// Bolt answers a payload that no listener acknowledges only after its 3,001 ms unhandled-request
// timeout, with a 404: Slack has given up by then and shows the person an error. Each case here
// was found by the fuzz suite (test/fuzz) and must be answered at once, with 200.
let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
});
afterAll(async () => {
  await t.close();
});

const base = { team: { id: "T0PLAY" }, api_app_id: "A0JITBOT", trigger_id: "U0ALICE.1" };
const alice = { id: "U0ALICE", team_id: "T0PLAY" };
const channel = { id: "C0APPROVALS", name: "approvals" };

describe("payloads no listener reads are answered at once", () => {
  it("tells the clicker about a button this jitbot does not have", async () => {
    const before = t.slack.ephemeralsFor("U0ALICE").length;
    const res = await t.driver.interact({
      ...base,
      type: "block_actions",
      user: alice,
      channel,
      actions: [{ type: "button", action_id: "profile_select", block_id: "b", value: "x", action_ts: "1" }],
    });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => t.slack.ephemeralsFor("U0ALICE")[before], "the answer");
    expect(answer.text).toContain("jitbot could not read this button");
  });

  it("tells the person about a form this jitbot does not have", async () => {
    const before = t.slack.dmsOf("U0ALICE").length;
    const res = await t.driver.interact({
      ...base,
      type: "view_submission",
      user: alice,
      view: { id: "V1", callback_id: "jit_old_form", state: { values: {} } },
    });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => t.slack.dmsOf("U0ALICE")[before], "the answer");
    expect(answer.text).toContain("jitbot could not read what this form sent");
  });

  it.each([
    ["a view_closed", { type: "view_closed", user: alice, view: { id: "V1", callback_id: "jit_request" } }],
    [
      "a click whose user id is a number",
      { type: "block_actions", user: { id: 7 }, actions: [{ action_id: "jit_approve" }] },
    ],
    ["a click with no action in the list", { type: "block_actions", user: alice, actions: [] }],
    ["a shortcut (jitbot offers none)", { type: "shortcut", callback_id: "x", user: alice }],
  ])("acknowledges %s", async (_case, payload) => {
    const res = await t.driver.interact({ ...base, ...payload });
    expect(res.status).toBe(200);
  });

  // Bolt reads body.user.id and body.view.id itself, before any middleware, and refuses at once.
  it.each([
    ["a click without a user", { type: "block_actions", channel, actions: [{ action_id: "jit_approve" }] }],
    ["a submission without its view", { type: "view_submission", user: alice }],
  ])("refuses %s at once", async (_case, payload) => {
    const res = await t.driver.interact({ ...base, ...payload });
    expect(res.status).toBe(500);
  });

  it("answers a search from an unknown select with no options", async () => {
    const res = await t.driver.interact({
      ...base,
      type: "block_suggestion",
      user: alice,
      block_id: "duration",
      action_id: "value",
      value: "a",
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ options: [] });
  });

  it("answers a command without a user with 200", async () => {
    const body = new URLSearchParams({ command: "/jit", text: "help", trigger_id: "t" }).toString();
    const res = await t.driver.post(body, "application/x-www-form-urlencoded");
    expect(res.status).toBe(200);
  });
});

describe("a listener that fails before it answers", () => {
  it("is answered at once, not after Bolt's 3 s timeout (the store refusing the submission's claim)", async () => {
    const own = await startTestBot();
    try {
      await own.driver.command("U0ALICE", "request aks-prod-sre");
      const view = await waitFor(() => [...own.slack.views.values()].find((v) => v.userId === "U0ALICE"), "the modal");
      // The claim of the submission is the first store write after the form's checks: make it fail.
      await own.store.kysely.schema.dropTable("view_submissions").execute();
      const started = performance.now();
      const res = await own.driver.submit("U0ALICE", view, {
        profile: "aks-prod-sre",
        duration: "3600",
        justification: "Investigating incident INC-7 in the cluster",
        ticket: "OPS-7",
      });
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(2_500);
      const told = await waitFor(
        () => own.slack.dmsOf("U0ALICE").find((m) => /ref(erence)?\b/i.test(m.text)),
        "the sentence",
      );
      expect(told.text).toMatch(/[0-9a-f]{6,}/);
    } finally {
      await own.close();
    }
  });
});
