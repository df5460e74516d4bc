import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenedView, PostedMessage } from "../../src/playground/slack-web-api.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { countRows } from "../support/store-rows.js";

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
});
afterAll(async () => {
  await t.close();
});

const good = {
  profile: "aks-prod-sre",
  duration: "3600",
  justification: "Rotating the ingress certificate",
  ticket: "OPS-7",
};

async function openModal(userId = "U0ALICE", text = "request aks-prod-sre"): Promise<OpenedView> {
  const before = [...t.slack.views.values()].filter((v) => v.userId === userId).length;
  await t.driver.command(userId, text);
  return waitFor(() => [...t.slack.views.values()].filter((v) => v.userId === userId)[before], "the modal");
}

const errorsOf = (res: { json?: Record<string, unknown> }) => (res.json?.errors ?? {}) as Record<string, string>;

const requestCount = () => countRows(t.store, "requests");

async function pendingRequest(): Promise<{ id: string; message: PostedMessage }> {
  const before = t.slack.messagesIn("C0APPROVALS").length;
  const res = await t.driver.submit("U0ALICE", await openModal(), good);
  expect(res.json?.response_action).toBeUndefined();
  const message = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the approval message");
  return { id: /JR-[A-Z0-9]{6}/.exec(message.text)?.[0] ?? "", message };
}

/** Submits `view` as Slack would, with its private_metadata (or its whole state) swapped. */
function submitWith(view: OpenedView, change: { privateMetadata?: string; state?: unknown }, userId = "U0ALICE") {
  const altered: OpenedView = {
    ...view,
    view: { ...view.view, private_metadata: change.privateMetadata ?? view.view.private_metadata },
  };
  if (change.state === undefined) return t.driver.submit(userId, altered, good);
  return t.driver.interact({
    type: "view_submission",
    team: { id: "T0PLAY" },
    user: { id: userId, team_id: "T0PLAY" },
    api_app_id: "A0JITBOT",
    trigger_id: t.driver.triggerId(userId),
    view: { id: view.id, hash: view.hash, type: "modal", callback_id: view.view.callback_id, state: change.state },
  });
}

describe("every free-text field has a server-side cap, whatever the modal allowed", () => {
  it.each([
    [
      "a justification over 2,000 characters",
      { justification: "x".repeat(2001) },
      "justification",
      "2,001 characters, at most 2,000",
    ],
    ["a ticket over 100 characters", { ticket: `OPS-${"1".repeat(97)}` }, "ticket", "101 characters, at most 100"],
  ])("refuses %s in the modal, filing nothing", async (_case, change, field, sentence) => {
    const before = await requestCount();
    const res = await t.driver.submit("U0ALICE", await openModal(), { ...good, ...change });
    expect(res.json?.response_action).toBe("errors");
    expect(errorsOf(res)[field]).toContain(sentence);
    expect(await requestCount()).toBe(before);
  });

  it("accepts a justification of exactly 2,000 characters", async () => {
    const res = await t.driver.submit("U0ALICE", await openModal(), { ...good, justification: "y".repeat(2000) });
    expect(res.json?.response_action).toBeUndefined();
  });

  it("refuses a deny reason over 500 characters, deciding nothing", async () => {
    const { id, message } = await pendingRequest();
    await t.driver.click("U0LEAD", message, "jit_deny");
    const denyForm = await waitFor(
      () => [...t.slack.views.values()].find((v) => v.view.callback_id === "jit_deny" && v.userId === "U0LEAD"),
      "the deny form",
    );
    const res = await t.driver.submit("U0LEAD", denyForm, { reason: "n".repeat(501) });
    expect(errorsOf(res).reason).toBe("That reason is too long: 501 characters, at most 500.");
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
    const ok = await t.driver.submit("U0LEAD", denyForm, { reason: "n".repeat(500) });
    expect(ok.json?.response_action).toBeUndefined();
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "denied", "the denial");
  });

  it("refuses a deny reason over the cap in the service too (a caller that skipped the form)", async () => {
    const { id } = await pendingRequest();
    await expect(t.bot.service.decide(id, "U0LEAD", "deny", "n".repeat(501))).rejects.toMatchObject({
      code: "TEXT_TOO_LONG",
    });
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
  });

  it.each([
    [
      "a command line over 2,200 characters",
      `request aks-prod-sre 1h ${"z ".repeat(1200)}`,
      "That command is too long",
    ],
    [
      "a typed justification the form could not hold",
      `request aks-prod-sre 1h ${"z".repeat(2001)}`,
      "That justification is too long",
    ],
    ["a revoke of something that is no request id", "revoke <!channel>", "That is not a request id"],
    ["a cancel of an overlong id", `cancel ${"A".repeat(5000)}`, "That command is too long"],
  ])("answers %s with one sentence, opening nothing", async (_case, text, sentence) => {
    const views = t.slack.views.size;
    const res = await t.driver.command("U0ALICE", text);
    expect(res.json).toMatchObject({ response_type: "ephemeral" });
    expect(String(res.json?.text)).toContain(sentence);
    expect(String(res.json?.text)).not.toContain("<!channel>");
    expect(t.slack.views.size).toBe(views);
  });
});

describe("a damaged form or button gets the clicker a sentence, not silence", () => {
  const damaged = "jitbot could not read what this form sent";

  it.each([
    ["private_metadata that is not JSON", "{extends"],
    ["private_metadata of the wrong shape", JSON.stringify({ extends: 42 })],
    ["private_metadata that names no request id", JSON.stringify({ extends: "'; DROP TABLE requests" })],
    ["private_metadata over Slack's 3,000 characters", JSON.stringify({ extends: null, pad: "p".repeat(3000) })],
    ["private_metadata that is a JSON string", JSON.stringify("hello")],
  ])("refuses a request form with %s, filing nothing", async (_case, privateMetadata) => {
    const before = await requestCount();
    const res = await submitWith(await openModal(), { privateMetadata });
    expect(res.status).toBe(200);
    expect(errorsOf(res).profile).toContain(damaged);
    expect(await requestCount()).toBe(before);
  });

  it("refuses a request form whose state has the wrong shape", async () => {
    const res = await submitWith(await openModal(), { state: { values: { profile: "aks-prod-sre" } } });
    expect(errorsOf(res).profile).toContain(damaged);
  });

  it("tells the person when the profile select of a damaged form is changed", async () => {
    const view = await openModal();
    const before = t.slack.dmsOf("U0ALICE").length;
    await t.driver.interact({
      type: "block_actions",
      team: { id: "T0PLAY" },
      user: { id: "U0ALICE", team_id: "T0PLAY" },
      api_app_id: "A0JITBOT",
      trigger_id: t.driver.triggerId("U0ALICE"),
      container: { type: "view", view_id: view.id },
      view: {
        id: view.id,
        hash: view.hash,
        type: "modal",
        callback_id: "jit_request",
        private_metadata: "][",
        state: { values: {} },
      },
      actions: [
        {
          type: "static_select",
          action_id: "value",
          block_id: "profile",
          selected_option: { value: "aks-prod-sre" },
          action_ts: "1",
        },
      ],
    });
    const dm = await waitFor(() => t.slack.dmsOf("U0ALICE")[before], "a DM");
    expect(dm.text).toContain(damaged);
  });

  it.each([
    ["not JSON", "nope"],
    ["without a request id", JSON.stringify({ channel: "C0APPROVALS", ts: "1.2" })],
    ["with a channel that is no channel id", JSON.stringify({ requestId: "JR-7K3Q9M", channel: "<!here>", ts: "1" })],
  ])("refuses a deny form whose private_metadata is %s, deciding nothing", async (_case, privateMetadata) => {
    const { id, message } = await pendingRequest();
    await t.driver.click("U0LEAD", message, "jit_deny");
    const denyForm = await waitFor(
      () =>
        [...t.slack.views.values()].filter((v) => v.view.callback_id === "jit_deny" && v.userId === "U0LEAD").at(-1),
      "the deny form",
    );
    const res = await t.driver.submit(
      "U0LEAD",
      { ...denyForm, view: { ...denyForm.view, private_metadata: privateMetadata } },
      { reason: "not during the freeze" },
    );
    expect(errorsOf(res).reason).toContain(damaged);
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
  });

  it.each(["jit_approve", "jit_deny", "jit_cancel", "jit_revoke", "jit_refresh", "jit_extend"])(
    "answers a %s button whose value is no request id with a sentence",
    async (actionId) => {
      const { message } = await pendingRequest();
      const before = t.slack.ephemeralsFor("U0LEAD").length;
      const forged: PostedMessage = {
        ...message,
        blocks: [
          {
            type: "actions",
            block_id: "decision",
            elements: [{ type: "button", action_id: actionId, value: "x".repeat(3000) }],
          },
        ],
      };
      const res = await t.driver.click("U0LEAD", forged, actionId);
      expect(res.status).toBe(200);
      const answer = await waitFor(() => t.slack.ephemeralsFor("U0LEAD")[before], "the answer");
      expect(answer.text).toContain("jitbot could not read this button");
    },
  );
});
