import { afterEach, describe, expect, it } from "vitest";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { examplePolicy, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { activeGrant, approvalNow, clockAt, tick } from "./support.js";

const MINUTE = 60_000;
const open: TestBot[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
});

async function bot(autoApprove = false): Promise<TestBot> {
  const policy = examplePolicy((yaml) => yaml.replace("autoApprove: false", `autoApprove: ${autoApprove}`));
  const t = await startTestBot({ clock: clockAt(), policy });
  open.push(t);
  return t;
}

const reminders = (t: TestBot, id: string) =>
  t.slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && m.text.includes("ends soon"));

/** 50 minutes into a 1h grant (10 min before its end) the reminder job runs; returns the DM. */
async function remindedGrant(t: TestBot): Promise<{ id: string; reminder: PostedMessage }> {
  const { id } = await activeGrant(t, "aks-prod-sre", 3600);
  await tick(t, 49 * MINUTE, MINUTE);
  await t.bot.scheduler.run("reminders");
  expect(reminders(t, id)).toHaveLength(0);
  await tick(t, MINUTE, MINUTE);
  await t.bot.scheduler.run("reminders");
  const reminder = await waitFor(() => reminders(t, id)[0], "the reminder DM");
  return { id, reminder };
}

/** Alice clicks Extend on the reminder and submits the prefilled modal for `seconds` more. */
async function extend(t: TestBot, reminder: PostedMessage, seconds: number) {
  const views = t.slack.views.size;
  await t.driver.click("U0ALICE", reminder, "jit_extend");
  const modal = await waitFor(() => [...t.slack.views.values()][views], "the extension modal");
  return {
    modal,
    res: await t.driver.submit("U0ALICE", modal, {
      profile: "aks-prod-sre",
      duration: String(seconds),
      justification: "The rollout needs another hour",
      ticket: "OPS-7",
    }),
  };
}

describe("reminders before a grant ends", () => {
  it("DMs once per grant, reminderBefore ahead, with Extend and Revoke now buttons", async () => {
    const t = await bot();
    const { id, reminder } = await remindedGrant(t);
    expect(textOf(reminder)).toContain('"action_id":"jit_extend"');
    expect(textOf(reminder)).toContain('"action_id":"jit_revoke"');
    await tick(t, 2 * MINUTE, MINUTE);
    await t.bot.scheduler.run("reminders");
    await t.bot.scheduler.run("reminders");
    expect(reminders(t, id)).toHaveLength(1);
  });

  it("Revoke now on the reminder ends the access at once", async () => {
    const t = await bot();
    const { id, reminder } = await remindedGrant(t);
    await t.driver.click("U0ALICE", reminder, "jit_revoke");
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
  });
});

describe("extending a grant from the reminder", () => {
  it("opens a prefilled request; once approved the end moves, the timer re-arms and the old end passes", async () => {
    const t = await bot();
    const { id, reminder } = await remindedGrant(t);
    const oldEnd = (await t.store.grants.get(id))?.expiresAt.getTime() ?? 0;
    const before = t.slack.messagesIn("C0APPROVALS").length;
    const { modal, res } = await extend(t, reminder, 3600);
    expect(JSON.parse(String(modal.view.private_metadata))).toEqual({ extends: id });
    expect(res.json?.response_action).toBeUndefined();
    const approval = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the extension approval message");
    expect(textOf(approval)).toContain("Extension request");
    expect(textOf(approval)).toContain(`Extends grant ${id}`);
    expect((await t.store.grants.get(id))?.expiresAt.getTime()).toBe(oldEnd);

    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(async () => (await t.store.grants.get(id))?.expiresAt.getTime() === oldEnd + 3600_000, "the new end");
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && m.text.includes("now ends")),
      "the DM",
    );
    expect(textOf(approvalNow(t, approval))).not.toContain("jit_approve");

    await tick(t, 11 * MINUTE, MINUTE);
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    // A new end gets its own reminder.
    await tick(t, 48 * MINUTE, MINUTE);
    await t.bot.scheduler.run("reminders");
    expect(reminders(t, id)).toHaveLength(1);
    await tick(t, MINUTE, MINUTE);
    await t.bot.scheduler.run("reminders");
    await waitFor(() => reminders(t, id).length === 2, "a reminder for the new end");
    await tick(t, 10 * MINUTE, MINUTE);
    expect((await t.store.requests.mustGet(id)).status).toBe("expired");
    expect(((await t.store.grants.get(id))?.endedAt?.getTime() ?? 0) - (oldEnd + 3600_000)).toBeLessThan(1_000);
    // The extension request ends with the grant it extended: nothing of Alice's is left "active".
    expect(await t.store.requests.listByRequester("U0ALICE", ["active"])).toEqual([]);
    const extension = (await t.store.requests.listByRequester("U0ALICE", ["expired"])).find(
      (r) => r.extendsRequestId === id,
    );
    expect(extension?.status).toBe("expired");
  });

  it("ends the extended grant when the extension's own id is revoked", async () => {
    const t = await bot(true);
    const { id, reminder } = await remindedGrant(t);
    await extend(t, reminder, 1800);
    const extension = await waitFor(
      async () =>
        (await t.store.requests.listByRequester("U0ALICE", ["active"])).find((r) => r.extendsRequestId === id),
      "the applied extension",
    );
    await t.driver.command("U0ALICE", `revoke ${extension.id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the grant to end");
  });

  it("applies at once when the profile auto-approves extensions, with no approval message", async () => {
    const t = await bot(true);
    const { id, reminder } = await remindedGrant(t);
    const oldEnd = (await t.store.grants.get(id))?.expiresAt.getTime() ?? 0;
    const before = t.slack.messagesIn("C0APPROVALS").length;
    await extend(t, reminder, 1800);
    await waitFor(async () => (await t.store.grants.get(id))?.expiresAt.getTime() === oldEnd + 1800_000, "the new end");
    expect(t.slack.messagesIn("C0APPROVALS")).toHaveLength(before);
    await tick(t, 11 * MINUTE, MINUTE);
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    await tick(t, 30 * MINUTE, MINUTE);
    expect((await t.store.requests.mustGet(id)).status).toBe("expired");
  });

  it("refuses in the modal an extension longer than extension.max, and changes nothing", async () => {
    const t = await bot(true);
    const { id, reminder } = await remindedGrant(t);
    const oldEnd = (await t.store.grants.get(id))?.expiresAt.getTime();
    const { res } = await extend(t, reminder, 3 * 3600);
    expect(res.json).toMatchObject({ response_action: "errors" });
    expect(JSON.stringify(res.json)).toContain("at most 2h");
    expect((await t.store.grants.get(id))?.expiresAt.getTime()).toBe(oldEnd);
  });

  it("prefills the Extend form with a duration the extension cap allows", async () => {
    const policy = examplePolicy((yaml) => yaml.replace("extension: { max: 2h", "extension: { max: 30m"));
    const t = await startTestBot({ clock: clockAt(), policy });
    open.push(t);
    const { reminder } = await remindedGrant(t);
    const views = t.slack.views.size;
    await t.driver.click("U0ALICE", reminder, "jit_extend");
    const modal = await waitFor(() => [...t.slack.views.values()][views], "the extension modal");
    const prefilled = /"initial_option":\{[^}]*\}[^}]*"value":"(\d+)"/.exec(JSON.stringify(modal.view.blocks))?.[1];
    expect(Number(prefilled)).toBeLessThanOrEqual(1800);
    const offered = [...JSON.stringify(modal.view.blocks).matchAll(/"value":"(\d+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...offered)).toBe(1800);
    const res = await t.driver.submit("U0ALICE", modal, {
      profile: "aks-prod-sre",
      duration: prefilled,
      justification: "The rollout needs a little longer",
      ticket: "",
    });
    expect(res.json?.response_action).toBeUndefined();
  });

  it("does not revive a grant whose end has already passed while its revoke is still retrying", async () => {
    const t = await bot(true);
    const { id, reminder } = await remindedGrant(t);
    const grant = await t.store.grants.get(id);
    if (!grant) throw new Error("no grant");
    // The end passes but the revoke has not gone through yet (as in a provider outage).
    await t.store.grants.revokeFailed({
      requestId: id,
      error: "down",
      nextAttemptAt: new Date(grant.expiresAt.getTime() + 3600_000),
    });
    await t.clock.advance(grant.expiresAt.getTime() - t.clock.now().getTime() + 1);
    await extend(t, reminder, 3600);
    const extension = await waitFor(
      async () =>
        (await t.store.requests.listByRequester("U0ALICE", ["failed"])).find((r) => r.extendsRequestId === id),
      "the extension to fail",
    );
    expect(extension.decisionNote).toContain("already ended");
    expect((await t.store.grants.get(id))?.expiresAt).toEqual(grant.expiresAt);
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").some((m) => m.text.includes(`Granting ${extension.id} failed`)),
      "the DM saying so",
    );
  });
});
