/**
 * On-call auto-approval end to end: signed Slack requests into the real bot, the real PagerDuty
 * client against the fake PagerDuty on 127.0.0.1, and the dry-run grant provider.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OnCallLookup } from "../../src/oncall/index.js";
import { OpsgenieOnCall } from "../../src/oncall/opsgenie.js";
import { PagerDutyOnCall } from "../../src/oncall/pagerduty.js";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { startFakeOpsgenie } from "../fakes/opsgenie-server.js";
import { type FakePagerDuty, startFakePagerDuty } from "../fakes/pagerduty-server.js";
import { sample } from "../observability/helpers.js";
import { examplePolicy, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { closedPort } from "../support/closed-port.js";
import { fileRequest } from "../support/flow.js";
import { textOf } from "../support/slack-driver.js";

const PROFILE = "aks-prod-oncall"; // jitbot.example.yaml: PagerDuty schedule PSAMPLE1, max 2h
const HOUR = 3600;
let pd: FakePagerDuty;
let t: TestBot | undefined;

beforeAll(async () => {
  pd = await startFakePagerDuty();
});
afterAll(() => pd.close());
afterEach(async () => {
  await t?.close();
  t = undefined;
  pd.answer();
  pd.calls.length = 0;
});

async function bot(apiUrl = pd.baseUrl): Promise<TestBot> {
  pd.schedules.set("PSAMPLE1", {
    id: "PSAMPLE1",
    name: "Payments primary",
    onCall: [{ id: "PALICE", name: "Alice Requester", email: "ALICE@contoso.com" }],
  });
  t = await startTestBot({
    onCall: (clock) => new OnCallLookup({ pagerduty: new PagerDutyOnCall(pd.token, apiUrl) }, clock),
  });
  return t;
}

/** jitbot_oncall_lookups_total for these labels, as /metrics shows it (0 when there is no series yet). */
const lookups = async (bot: TestBot, outcome: string, reason = "") =>
  sample(await bot.bot.metrics.registry.metrics(), "jitbot_oncall_lookups_total", {
    provider: "pagerduty",
    outcome,
    reason,
  }) ?? 0;

const hasButton = (message: PostedMessage, actionId: string) =>
  JSON.stringify(message.blocks).includes(`"${actionId}"`);
const approvalOf = (bot: TestBot, id: string) =>
  bot.slack.messagesIn("C0APPROVALS").find((m) => m.text.includes(id) && !m.thread_ts);

describe("on-call auto-approval", () => {
  it("approves someone on call at once, tells the channel with a Revoke for approvers, audits the schedule, and an approver revokes", async () => {
    const b = await bot();
    const { id, approval } = await fileRequest(b, PROFILE, HOUR);
    expect(approval.text).toContain("auto-approved: <@U0ALICE> is on call for Payments primary (PagerDuty)");
    expect(await lookups(b, "on_call")).toBe(1);
    expect(hasButton(approval, "jit_revoke_auto")).toBe(true);
    expect(hasButton(approval, "jit_approve")).toBe(false);
    await waitFor(async () => (await b.store.requests.get(id))?.status === "active", "the grant");
    expect(
      b.slack
        .dmsOf("U0ALICE")
        .some((m) => m.text.includes(`${id} was auto-approved: you are on call for Payments primary`)),
    ).toBe(true);
    await waitFor(
      () => b.slack.dmsOf("U0ALICE").find((m) => m.text.startsWith("Access granted") && m.text.includes(id)),
      "the grant DM",
    );

    const approved = (await b.store.auditTrail(id)).find((row) => row.action === "request.approved");
    expect(approved?.actor).toBe("jitbot:on-call");
    expect(JSON.parse(approved?.detail ?? "{}")).toMatchObject({
      onCall: { provider: "pagerduty", schedule: "PSAMPLE1", scheduleName: "Payments primary" },
    });
    expect(await b.store.requests.approvals(id)).toMatchObject([{ approverId: "jitbot:on-call", decision: "approve" }]);

    const live = await waitFor(() => {
      const m = approvalOf(b, id);
      return m && textOf(m).includes("access granted") ? m : undefined;
    }, "the approval message to show the grant");
    await b.driver.click("U0LEAD", live, "jit_revoke_auto");
    await waitFor(async () => (await b.store.requests.get(id))?.status === "revoked", "the revoke");
    await b.settle();
    const after = await waitFor(() => {
      const m = approvalOf(b, id);
      return m && !hasButton(m, "jit_revoke_auto") ? m : undefined;
    }, "the message without its Revoke");
    expect(textOf(after)).toContain("Access was revoked");
    expect(textOf(after)).toContain("auto-approved: <@U0ALICE> was on call for Payments primary (PagerDuty)");
  });

  it("refuses Revoke to anyone who is not an approver, the requester included, and changes nothing", async () => {
    const b = await bot();
    const { id } = await fileRequest(b, PROFILE, HOUR);
    await waitFor(async () => (await b.store.requests.get(id))?.status === "active", "the grant");
    const message = await waitFor(() => approvalOf(b, id), "the approval message");
    for (const who of ["U0EVE", "U0ALICE"]) {
      await b.driver.click(who, message, "jit_revoke_auto");
      const refusal = await waitFor(() => b.slack.ephemeralsFor(who).at(-1), "the refusal");
      expect(refusal.text).toBe(`You can't revoke this access: you are not an approver of "${PROFILE}".`);
    }
    await b.settle();
    expect((await b.store.requests.get(id))?.status).toBe("active");
  });

  it("sends someone not on call to the approvers as usual, and tells them why privately", async () => {
    const b = await bot();
    const { id, approval } = await fileRequest(b, PROFILE, HOUR, "U0OMAR");
    expect(hasButton(approval, "jit_approve")).toBe(true);
    expect((await b.store.requests.get(id))?.status).toBe("pending");
    await waitFor(
      () =>
        b.slack
          .dmsOf("U0OMAR")
          .find((m) => m.text.includes("You are not on call now in this profile's PagerDuty schedule")),
      "the DM saying why",
    );
    expect(b.slack.messagesIn("C0APPROVALS").filter((m) => m.thread_ts)).toHaveLength(0);
    expect(await lookups(b, "not_on_call")).toBe(1);
    expect(await lookups(b, "on_call")).toBe(0);
  });

  it("sends a request longer than max to the approvers, saying auto-approval applies up to 2h, without asking PagerDuty", async () => {
    const b = await bot();
    const { id, approval } = await fileRequest(b, PROFILE, 3 * HOUR);
    expect(hasButton(approval, "jit_approve")).toBe(true);
    const sentence =
      "On-call auto-approval applies to requests of up to 2h and this one is for 3h, so the approvers decide as usual.";
    const reply = await waitFor(
      () => b.slack.messagesIn("C0APPROVALS").find((m) => m.thread_ts === approval.ts),
      "the reply in the thread",
    );
    expect(reply.text).toBe(`${id}: ${sentence}`);
    await waitFor(() => b.slack.dmsOf("U0ALICE").find((m) => m.text === `${id}: ${sentence}`), "the requester's DM");
    expect(pd.calls).toHaveLength(0);
    expect((await b.store.requests.get(id))?.status).toBe("pending");
  });

  it("falls back to normal approval when PagerDuty is down, and tells the requester and the channel why", async () => {
    const b = await bot(`http://127.0.0.1:${await closedPort()}`);
    const { id, approval } = await fileRequest(b, PROFILE, HOUR);
    expect(hasButton(approval, "jit_approve")).toBe(true);
    const sentence =
      "On-call auto-approval did not apply because PagerDuty could not be reached, so the approvers decide as usual.";
    await waitFor(
      () =>
        b.slack.messagesIn("C0APPROVALS").find((m) => m.thread_ts === approval.ts && m.text === `${id}: ${sentence}`),
      "the channel told",
    );
    await waitFor(() => b.slack.dmsOf("U0ALICE").find((m) => m.text === `${id}: ${sentence}`), "the requester told");
    expect((await b.store.requests.get(id))?.status).toBe("pending");
    // An approver still decides as for any request.
    await b.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(async () => (await b.store.requests.get(id))?.status === "active", "the grant after approval");
  });

  it("falls back when PagerDuty hangs: the request waits at most the deadline, then goes to approvers", async () => {
    const b = await bot();
    pd.hang();
    const views = b.slack.views.size;
    await b.driver.command("U0ALICE", `request ${PROFILE}`);
    const view = await waitFor(() => [...b.slack.views.values()][views], "the modal");
    const res = await b.driver.submit("U0ALICE", view, {
      profile: PROFILE,
      duration: String(HOUR),
      justification: "Investigating incident INC-7 in the cluster",
      ticket: "OPS-7",
    });
    expect(res.status).toBe(200);
    await waitFor(() => pd.calls.length === 1, "the question to PagerDuty");
    expect(b.slack.messagesIn("C0APPROVALS")).toHaveLength(0);
    await b.clock.advance(2_000);
    const approval = await waitFor(
      () => b.slack.messagesIn("C0APPROVALS").find((m) => !m.thread_ts),
      "the approval message",
    );
    expect(hasButton(approval, "jit_approve")).toBe(true);
    await waitFor(
      () =>
        b.slack
          .messagesIn("C0APPROVALS")
          .find((m) => m.thread_ts === approval.ts && m.text.includes("PagerDuty did not answer within 2s")),
      "the reason in the channel",
    );
  });

  it("falls back when PagerDuty refuses the key (401), and never approves", async () => {
    const b = await bot();
    pd.unauthorizedNext(1);
    const { id, approval } = await fileRequest(b, PROFILE, HOUR);
    expect(hasButton(approval, "jit_approve")).toBe(true);
    await waitFor(
      () => b.slack.dmsOf("U0ALICE").find((m) => m.text.includes("PagerDuty refused jitbot's API key (401)")),
      "the reason",
    );
    expect(await b.store.requests.approvals(id)).toEqual([]);
    // Nothing fails loudly when a key is revoked: /metrics is where operators see it.
    expect(await lookups(b, "unavailable", "UNAUTHORIZED")).toBe(1);
  });
});

describe("on-call auto-approval with Opsgenie", () => {
  it("approves someone on call in an Opsgenie schedule (flat recipients, GenieKey) and names it in the channel", async () => {
    const og = await startFakeOpsgenie();
    const schedule = "4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b";
    og.schedules.set(schedule, { id: schedule, name: "Platform primary", onCall: ["alice@contoso.com"] });
    try {
      t = await startTestBot({
        policy: examplePolicy((yaml) =>
          yaml.replace(
            "autoApproveOnCall: { provider: pagerduty, schedules: [PSAMPLE1], max: 2h }",
            `autoApproveOnCall: { provider: opsgenie, schedules: [${schedule}], max: 2h }`,
          ),
        ),
        onCall: (clock) => new OnCallLookup({ opsgenie: new OpsgenieOnCall(og.apiKey, og.baseUrl) }, clock),
      });
      const { id, approval } = await fileRequest(t, PROFILE, HOUR);
      expect(approval.text).toContain("auto-approved: <@U0ALICE> is on call for Platform primary (Opsgenie)");
      expect(og.calls.map((c) => c.authorization)).toEqual([`GenieKey ${og.apiKey}`]);
      const bot = t;
      await waitFor(async () => (await bot.store.requests.get(id))?.status === "active", "the grant");
    } finally {
      await og.close();
    }
  });
});
