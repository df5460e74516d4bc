import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { examplePolicy, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";
import { textOf } from "../support/slack-driver.js";

/**
 * The profile's approval rules, end to end through the real Bolt app: `required: 2` needs two
 * distinct approvers, and `selfApproval` decides whether a requester who is also an approver may
 * approve their own request. Approvers of both profiles: Lee (by id) and Omar (S0ONCALL).
 */
let t: TestBot;
beforeAll(async () => {
  const policy = examplePolicy((yaml) =>
    yaml
      .replace("required: 1 # distinct approvers needed", "required: 2 # distinct approvers needed")
      .replace(
        "approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD], slackUserGroups: [S0ONCALL] } }",
        "approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD], slackUserGroups: [S0ONCALL] }, selfApproval: true }",
      ),
  );
  expect(policy.profiles.find((p) => p.id === "aks-prod-sre")?.approval).toMatchObject({
    required: 2,
    selfApproval: false,
  });
  expect(policy.profiles.find((p) => p.id === "aks-prod-dev")?.approval).toMatchObject({
    required: 1,
    selfApproval: true,
  });
  t = await startTestBot({ policy });
});
afterAll(async () => {
  await t.close();
});

/** The approval message as the channel shows it now (updated in place). */
function approvalNow(approval: PostedMessage): PostedMessage {
  const current = t.slack.messagesIn("C0APPROVALS").find((m) => m.ts === approval.ts);
  if (!current) throw new Error(`approval message ${approval.ts} is gone`);
  return current;
}

/** Clicks Approve on the message as it is now and waits until the click was handled. */
async function approve(userId: string, approval: PostedMessage, handled: (m: PostedMessage) => boolean) {
  const res = await t.driver.click(userId, approvalNow(approval), "jit_approve");
  expect(res.status).toBe(200);
  await waitFor(() => handled(approvalNow(approval)), `${userId}'s approval to be handled`);
  await t.settle();
}

describe("N-of-M approvals (required: 2)", () => {
  it("does not grant on one approval: the message shows 1 of 2 and keeps its buttons", async () => {
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    expect(textOf(approval)).toContain("0 of 2 approvals");
    await approve("U0LEAD", approval, (m) => textOf(m).includes("1 of 2 approvals"));
    const after = approvalNow(approval);
    expect(textOf(after)).toContain("1 of 2 approvals (<@U0LEAD>)");
    expect(textOf(after)).toContain('"action_id":"jit_approve"');
    expect(textOf(after)).toContain('"action_id":"jit_deny"');
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
    expect(await t.store.grants.get(id)).toBeUndefined();
    expect(t.slack.dmsOf("U0ALICE").some((m) => m.text.startsWith("Access granted") && m.text.includes(id))).toBe(
      false,
    );
  });

  it("grants on a second, distinct approver, naming both on the message", async () => {
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    await approve("U0LEAD", approval, (m) => textOf(m).includes("1 of 2 approvals"));
    await approve("U0OMAR", approval, (m) => textOf(m).includes("access granted"));
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    expect((await t.store.grants.get(id))?.status).toBe("active");
    const after = textOf(approvalNow(approval));
    expect(after).toContain("Approved by <@U0LEAD>, <@U0OMAR> — access granted");
    expect(after).not.toContain("jit_approve");
    expect((await t.store.requests.approvals(id)).map((a) => a.approverId)).toEqual(["U0LEAD", "U0OMAR"]);
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.startsWith("Access granted") && m.text.includes(id)),
      "the grant DM",
    );
  });

  it("does not count the same approver twice, and tells them so", async () => {
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    await approve("U0LEAD", approval, (m) => textOf(m).includes("1 of 2 approvals"));
    const refusals = t.slack.ephemeralsFor("U0LEAD").length;
    await t.driver.click("U0LEAD", approvalNow(approval), "jit_approve");
    const refusal = await waitFor(() => t.slack.ephemeralsFor("U0LEAD")[refusals], "the refusal");
    expect(refusal.text).toBe("You can't decide on this request: you have already decided on this request.");
    await t.settle();
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
    expect(await t.store.requests.approvals(id)).toHaveLength(1);
    expect(textOf(approvalNow(approval))).toContain("1 of 2 approvals (<@U0LEAD>)");
  });

  it("lets one deny end the request even after an approval: a second approver never sees it granted", async () => {
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    await approve("U0LEAD", approval, (m) => textOf(m).includes("1 of 2 approvals"));
    await t.driver.click("U0OMAR", approvalNow(approval), "jit_deny");
    const modal = await waitFor(
      () =>
        [...t.slack.views.values()].filter((v) => v.userId === "U0OMAR" && v.view.callback_id === "jit_deny").at(-1),
      "the deny modal",
    );
    await t.driver.submit("U0OMAR", modal, { reason: "Not during the freeze" });
    await waitFor(() => textOf(approvalNow(approval)).includes("Denied by <@U0OMAR>"), "the denial on the message");
    expect((await t.store.requests.mustGet(id)).status).toBe("denied");
    expect(await t.store.grants.get(id)).toBeUndefined();
  });
});

describe("self-approval, when the requester is also an approver", () => {
  const cases = [
    {
      name: "with selfApproval: true, Omar approves his own request and gets access",
      profile: "aks-prod-dev",
      outcome: "active" as const,
    },
    {
      name: "with selfApproval: false, Omar's own approval is refused with a sentence and changes nothing",
      profile: "aks-prod-sre",
      outcome: "pending" as const,
    },
  ];
  for (const { name, profile, outcome } of cases) {
    it(name, async () => {
      const { id, approval } = await fileRequest(t, profile, 3600, "U0OMAR");
      const refusals = t.slack.ephemeralsFor("U0OMAR").length;
      await t.driver.click("U0OMAR", approval, "jit_approve");
      if (outcome === "active") {
        await waitFor(
          () => textOf(approvalNow(approval)).includes("Approved by <@U0OMAR> — access granted"),
          "the grant on the message",
        );
        await t.settle();
        expect((await t.store.requests.mustGet(id)).status).toBe("active");
        expect(t.slack.ephemeralsFor("U0OMAR")).toHaveLength(refusals);
      } else {
        const refusal = await waitFor(() => t.slack.ephemeralsFor("U0OMAR")[refusals], "the refusal");
        expect(refusal.text).toBe("You can't decide on this request: you cannot approve your own request.");
        await t.settle();
        expect((await t.store.requests.mustGet(id)).status).toBe("pending");
        expect(await t.store.requests.approvals(id)).toHaveLength(0);
        expect(textOf(approvalNow(approval))).toContain("0 of 2 approvals");
      }
    });
  }
});

describe("who may end a grant early with /jit revoke", () => {
  const cases = [
    {
      name: "someone who is neither the requester nor an approver is refused, and the access stays",
      who: "U0EVE",
      ends: false,
    },
    { name: "an approver of the profile (by user group) may end it", who: "U0OMAR", ends: true },
    { name: "the requester may end it", who: "U0ALICE", ends: true },
  ];
  for (const { name, who, ends } of cases) {
    it(name, async () => {
      const { id, approval } = await fileRequest(t, "aks-prod-dev", 3600);
      await approve("U0LEAD", approval, (m) => textOf(m).includes("access granted"));
      const dms = t.slack.dmsOf(who).length;
      const res = await t.driver.command(who, `revoke ${id}`);
      expect(res.status).toBe(200);
      if (ends) {
        await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
      } else {
        const refusal = await waitFor(() => t.slack.dmsOf(who)[dms], "the refusal");
        expect(refusal.text).toContain(
          "Only the person who asked (or one of its approvers, for a revoke) can do that.",
        );
        await t.settle();
        expect((await t.store.requests.mustGet(id)).status).toBe("active");
        expect((await t.store.grants.get(id))?.status).toBe("active");
      }
    });
  }
});
