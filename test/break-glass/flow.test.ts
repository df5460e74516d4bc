import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { breakGlass, click, current, openForm, PROFILE, REASON, WINDOW_MS } from "./support.js";

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot({ clock: new ManualClock("2026-03-04T10:00:00Z") });
});
afterAll(async () => {
  await t.close();
});

const CONFIRM = "jit_confirm_break_glass";

describe("the request form offers break glass", () => {
  it("only on a profile that allows it, with what it does", async () => {
    const plain = await openForm(t, "U0ALICE", "aks-prod-sre");
    expect(JSON.stringify(plain.view)).not.toContain("break-glass");
    const form = await openForm(t, "U0ALICE");
    const mode = (form.view.blocks as { block_id?: string }[]).find((b) => b.block_id === "mode");
    expect(JSON.stringify(mode)).toContain('"value":"break-glass"');
    expect(JSON.stringify(mode)).toContain("Access now. An approver must confirm within 15m, or it is revoked.");
  });

  it("is named in /jit help beside the profile's own cap", async () => {
    const res = await t.driver.command("U0ALICE", "help");
    expect(JSON.stringify(res.json)).toContain(
      "AKS prod — SRE incident (break glass) (up to 4h; 🚨 break glass up to 1h)",
    );
  });

  it("refuses a time past breakGlass.max with a sentence, keeping the form open", async () => {
    const form = await openForm(t, "U0ALICE");
    const res = await t.driver.submit("U0ALICE", form, {
      profile: PROFILE,
      mode: "break-glass",
      duration: "7200",
      justification: REASON,
      ticket: "",
    });
    expect(res.json).toEqual({
      response_action: "errors",
      errors: {
        duration:
          "Break glass grants at most 1h on this profile; choose a shorter time, or ask for approval to get longer.",
      },
    });
  });

  it("asks for a typed reason", async () => {
    const form = await openForm(t, "U0ALICE");
    const res = await t.driver.submit("U0ALICE", form, {
      profile: PROFILE,
      mode: "break-glass",
      duration: "3600",
      justification: "  ",
      ticket: "",
    });
    expect(res.json?.errors).toEqual({ justification: "Please say why you need access in at least 10 characters." });
  });

  it("refuses break glass on a profile without it, even from a forged form", async () => {
    const form = await openForm(t, "U0ALICE", "aks-prod-sre");
    const res = await t.driver.submit("U0ALICE", form, {
      profile: "aks-prod-sre",
      duration: "3600",
      justification: REASON,
      ticket: "",
      // Not offered in this form: sent the way a forged payload would.
    });
    expect(res.json?.response_action).toBeUndefined();
    const forged = structuredClone(form);
    (forged.view.blocks as unknown[]).push({ type: "input", block_id: "mode", element: { type: "radio_buttons" } });
    const refused = await t.driver.submit("U0ALICE", forged, {
      profile: "aks-prod-sre",
      mode: "break-glass",
      duration: "3600",
      justification: REASON,
      ticket: "",
    });
    expect(refused.json?.errors).toEqual({
      profile: 'Break glass is not available for "aks-prod-sre"; ask for approval instead.',
    });
  });
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

describe("breaking glass", () => {
  it("shows in App Home with its badge: the requester's access, and the approvers' confirmation to give", async () => {
    await openHome("U0ALICE");
    await openHome("U0LEAD");
    await waitFor(() => t.slack.homes.has("U0ALICE") && t.slack.homes.has("U0LEAD"), "the homes");
    const { id, message } = await breakGlass(t);
    await waitFor(() => home("U0ALICE").includes(`🚨 AKS prod — SRE incident (break glass)* · ${id}`), "Alice's home");
    await waitFor(
      () => home("U0LEAD").includes(id) && home("U0LEAD").includes("broke glass: confirm or revoke it"),
      "Lee's home",
    );
    await click(t, "U0LEAD", message, CONFIRM);
    await waitFor(() => !home("U0LEAD").includes(id), "Lee's home once confirmed");
  });

  it("pushes a confirmation that says what happens next, then grants at once and tells every approver", async () => {
    const dmsBefore = { lee: t.slack.dmsOf("U0LEAD").length, omar: t.slack.dmsOf("U0OMAR").length };
    const { id, message, pushed } = await breakGlass(t);
    const confirmation = JSON.stringify(pushed);
    expect(pushed.callback_id).toBe("jit_break_glass");
    for (const part of ["Break glass?", "What happens next", "granted *now*", "within 15m", "revoked at that moment"]) {
      expect(confirmation).toContain(part);
    }
    const request = await t.store.requests.mustGet(id);
    expect(request.status).toBe("active");
    expect(request.breakGlass?.confirmBy.toISOString()).toBe("2026-03-04T10:15:00.000Z");
    const grant = await t.store.grants.get(id);
    // Due at the deadline, not at its end, until an approver confirms.
    expect(grant?.dueAt.toISOString()).toBe("2026-03-04T10:15:00.000Z");
    expect(grant?.expiresAt.toISOString()).toBe("2026-03-04T11:00:00.000Z");

    const channel = textOf(current(t, message));
    expect(channel).toContain("🚨 Break glass");
    expect(channel).toContain("<!subteam^S0ONCALL>");
    expect(channel).toContain("<@U0LEAD>");
    expect(channel).toContain(CONFIRM);
    expect(channel).toContain("jit_revoke");
    expect(channel).toContain("Checkout is down");

    // Every approver by DM: Lee (a user) and Omar (in S0ONCALL); never the requester as approver.
    const lee = await waitFor(
      () =>
        t.slack
          .dmsOf("U0LEAD")
          .slice(dmsBefore.lee)
          .find((m) => m.text.includes(id)),
      "Lee's DM",
    );
    expect(lee.text).toContain("🚨 <@U0ALICE> broke glass");
    await waitFor(
      () =>
        t.slack
          .dmsOf("U0OMAR")
          .slice(dmsBefore.omar)
          .some((m) => m.text.includes(id)),
      "Omar's DM",
    );
    expect(t.slack.dmsOf("U0ALICE").some((m) => m.text.includes(id) && m.text.includes("confirm or revoke"))).toBe(
      false,
    );

    // The requester: a receipt that says what happens next, and the grant DM, both badged.
    const alice = t.slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id));
    expect(alice.some((m) => m.text.startsWith("🚨 You broke glass"))).toBe(true);
    const grantDm = alice.find((m) => m.text.startsWith("Access granted"));
    expect(JSON.stringify(grantDm?.blocks)).toContain("🚨 Access granted");
    expect(JSON.stringify(grantDm?.blocks)).toContain("unless an approver confirms it by");

    // /jit list and the audit trail carry the mark too.
    const list = await t.driver.command("U0ALICE", "list");
    expect(JSON.stringify(list.json)).toContain(`*${id}* 🚨 AKS prod — SRE incident`);
    const trail = await t.store.auditTrail(id);
    const submitted = trail.find((row) => row.action === "request.submitted");
    expect(JSON.parse(submitted?.detail ?? "{}")).toMatchObject({ breakGlass: true });
    const approved = trail.find((row) => row.action === "request.approved");
    expect(approved?.actor).toBe("U0ALICE");
    expect(JSON.parse(approved?.detail ?? "{}")).toMatchObject({ breakGlass: true, note: "break glass" });
  });

  it("is confirmed by an approver and then runs to its end; the requester and others cannot confirm", async () => {
    const { id, message } = await breakGlass(t);
    const refusals = { alice: t.slack.ephemeralsFor("U0ALICE").length, eve: t.slack.ephemeralsFor("U0EVE").length };
    await click(t, "U0ALICE", message, CONFIRM);
    const own = await waitFor(() => t.slack.ephemeralsFor("U0ALICE")[refusals.alice], "the requester's refusal");
    expect(own.text).toBe(
      "You can't confirm this break glass: you broke the glass yourself; another approver must confirm it.",
    );
    await click(t, "U0EVE", message, CONFIRM);
    const outsider = await waitFor(() => t.slack.ephemeralsFor("U0EVE")[refusals.eve], "the outsider's refusal");
    expect(outsider.text).toBe(`You can't confirm this break glass: you are not an approver of "${PROFILE}".`);
    expect((await t.store.requests.mustGet(id)).breakGlass?.confirmedBy).toBeUndefined();

    await click(t, "U0LEAD", message, CONFIRM);
    await waitFor(
      async () => (await t.store.requests.mustGet(id)).breakGlass?.confirmedBy === "U0LEAD",
      "the confirmation",
    );
    await t.settle();
    const grant = await t.store.grants.get(id);
    expect(grant?.dueAt.getTime()).toBe(grant?.expiresAt.getTime());
    await waitFor(() => textOf(current(t, message)).includes("Confirmed by <@U0LEAD>"), "the channel message update");
    expect(textOf(current(t, message))).not.toContain(CONFIRM);
    expect(textOf(current(t, message))).toContain("jit_revoke");
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").some((m) => m.text.includes(`break glass ${id} was confirmed by <@U0LEAD>`)),
      "the requester's DM",
    );
    const trail = await t.store.auditTrail(id);
    expect(trail.some((row) => row.action === "break_glass.confirmed" && row.actor === "U0LEAD")).toBe(true);

    // Past the deadline it stays; at its end it expires (not "not confirmed").
    await t.clock.advance(WINDOW_MS + 1_000);
    await t.settle();
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    await t.clock.advance(60 * 60_000);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "expired", "the expiry");
    expect((await t.store.grants.get(id))?.endReason).toBe("expired");
  });

  it("is revoked at the deadline, to the millisecond, when nobody confirms; the channel is told", async () => {
    const { id, message } = await breakGlass(t);
    // What an approver's Slack still shows if it missed the update: the Confirm button.
    const stale = structuredClone(current(t, message));
    const deadline = (await t.store.requests.mustGet(id)).breakGlass?.confirmBy as Date;
    await t.clock.advance(deadline.getTime() - t.clock.now().getTime() - 1);
    await t.settle();
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    await t.clock.advance(1);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke at the deadline");
    const grant = await t.store.grants.get(id);
    expect(grant?.endReason).toBe("not_confirmed");
    expect(grant?.endedAt?.getTime()).toBe(deadline.getTime());
    await t.settle();
    const notice = t.slack
      .messagesIn("C0APPROVALS")
      .find((m) => m.ts !== message.ts && m.text.includes(`Break glass ${id}`));
    expect(notice?.text).toContain("not confirmed within 15m");
    expect(textOf(current(t, message))).toContain("Revoked: no approver confirmed it within 15m.");
    expect(textOf(current(t, message))).not.toContain(CONFIRM);
    const dm = t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && m.text.includes("revoked"));
    expect(dm?.text).toContain("it was not confirmed in time");
    expect(dm?.text).not.toContain("expired");
    const revoked = (await t.store.auditTrail(id)).find((row) => row.action === "request.revoked");
    expect(JSON.parse(revoked?.detail ?? "{}")).toMatchObject({ reason: "not confirmed", breakGlass: true });

    // A confirmation that comes too late changes nothing and says why.
    const before = t.slack.ephemeralsFor("U0LEAD").length;
    const late = await t.driver.click("U0LEAD", stale, CONFIRM);
    expect(late.status).toBe(200);
    const answer = await waitFor(() => t.slack.ephemeralsFor("U0LEAD")[before], "the late refusal");
    expect(answer.text).toBe("You can't confirm this break glass: this break-glass access is already over (revoked).");
  });

  it("an approver who broke glass cannot confirm it, even where selfApproval would let them approve", async () => {
    const profile = t.policy.profiles.find((p) => p.id === PROFILE);
    if (!profile) throw new Error(`no ${PROFILE} in the policy`);
    // The bot reads this very policy object: for this test, approvers may approve their own requests.
    profile.approval.selfApproval = true;
    const dms = t.slack.dmsOf("U0OMAR").length;
    const { id, message } = await breakGlass(t, { userId: "U0OMAR" });
    // Omar is an approver (S0ONCALL) and the requester: no "please confirm" DM for his own.
    expect(
      t.slack
        .dmsOf("U0OMAR")
        .slice(dms)
        .some((m) => m.text.includes("confirm or revoke")),
    ).toBe(false);
    const before = t.slack.ephemeralsFor("U0OMAR").length;
    await click(t, "U0OMAR", message, CONFIRM);
    const refusal = await waitFor(() => t.slack.ephemeralsFor("U0OMAR")[before], "the refusal");
    expect(refusal.text).toBe(
      "You can't confirm this break glass: you broke the glass yourself; another approver must confirm it.",
    );
    expect((await t.store.requests.mustGet(id)).breakGlass?.confirmedBy).toBeUndefined();
    profile.approval.selfApproval = false;
  });

  it("is revoked at once when an approver clicks Revoke", async () => {
    const { id, message } = await breakGlass(t);
    const stale = structuredClone(current(t, message));
    await click(t, "U0OMAR", message, "jit_revoke");
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    expect((await t.store.grants.get(id))?.endReason).toBe("revoked");
    await t.settle();
    await waitFor(() => textOf(current(t, message)).includes("Access was revoked"), "the channel update");
    const trail = await t.store.auditTrail(id);
    expect(trail.find((row) => row.action === "grant.revoke_requested")?.actor).toBe("U0OMAR");
    // A Confirm from a copy of the message that still shows it changes nothing.
    const before = t.slack.ephemeralsFor("U0LEAD").length;
    await t.driver.click("U0LEAD", stale, CONFIRM);
    const answer = await waitFor(() => t.slack.ephemeralsFor("U0LEAD")[before], "the refusal");
    expect(answer.text).toBe("You can't confirm this break glass: this break-glass access is already over (revoked).");
    expect((await t.store.requests.mustGet(id)).breakGlass?.confirmedBy).toBeUndefined();
  });

  it("gives one outcome when two approvers confirm at the same instant", async () => {
    const { id, message } = await breakGlass(t);
    const seen = new Set([...t.slack.ephemeralsFor("U0LEAD"), ...t.slack.ephemeralsFor("U0OMAR")]);
    await Promise.all([click(t, "U0LEAD", message, CONFIRM), click(t, "U0OMAR", message, CONFIRM)]);
    // Only what these two clicks brought: earlier tests left ephemerals for both approvers.
    const refusal = await waitFor(
      () => [...t.slack.ephemeralsFor("U0LEAD"), ...t.slack.ephemeralsFor("U0OMAR")].find((m) => !seen.has(m)),
      "the second click's refusal",
    );
    const confirmedBy = (await t.store.requests.mustGet(id)).breakGlass?.confirmedBy;
    expect(["U0LEAD", "U0OMAR"]).toContain(confirmedBy);
    expect(refusal.text).toBe(`You can't confirm this break glass: it was already confirmed by <@${confirmedBy}>.`);
    const confirmations = (await t.store.auditTrail(id)).filter((row) => row.action === "break_glass.confirmed");
    expect(confirmations).toHaveLength(1);
  });
});
