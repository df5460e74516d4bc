/**
 * Approver step-up (issue 15 §4), end to end: Approve on a profile with `approval.stepUp` answers
 * with a private sign-in link; the approval is recorded only when the approver has signed in with
 * (a fake) Entra ID as themselves, within 5 minutes, once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browse,
  clickApprove,
  EVE,
  LEE,
  MALLORY,
  OMAR,
  type StepUpRig,
  sentenceOf,
  startStepUpRig,
  stepUpPolicy,
  stepUpSettings,
} from "../stepup/harness.js";
import { startTestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";

let rig: StepUpRig;
beforeAll(async () => {
  rig = await startStepUpRig();
});
afterAll(async () => {
  await rig.close();
});

const statusOf = async (id: string) => (await rig.t.store.requests.mustGet(id)).status;

describe("approver step-up: the happy path", () => {
  it("records the approval after the approver signs in as themselves, and grants", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    // The click alone records nothing: no approval, the message still offers the buttons.
    expect(await statusOf(id)).toBe("pending");
    expect(await t.store.requests.approvals(id)).toEqual([]);
    expect(t.slack.ephemeralsFor("U0LEAD").at(-1)?.text).toContain("within 5 minutes");

    oidc.signInAs = LEE;
    const visit = await browse(t, link);
    expect(visit.status).toBe(200);
    expect(visit.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(visit.headers.get("referrer-policy")).toBe("no-referrer");
    expect(sentenceOf(visit)).toBe(`Your approval of ${id} is recorded; you can close this page.`);
    // link → Entra's /authorize (PKCE S256, state, nonce, prompt=login, the approver as hint) → callback.
    const [, authorize, callback] = visit.hops.map((h) => new URL(h));
    expect(authorize?.pathname).toMatch(/\/oauth2\/v2\.0\/authorize$/);
    const q = authorize?.searchParams;
    expect(q?.get("code_challenge_method")).toBe("S256");
    expect(q?.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q?.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q?.get("state")).toBe(new URL(link).searchParams.get("state"));
    expect(q?.get("prompt")).toBe("login");
    expect(q?.get("redirect_uri")).toBe("https://jitbot.test/stepup/callback");
    expect(q?.has("claims")).toBe(false);
    expect(oidc.loginHints.at(-1)).toBe("lee@contoso.com");
    expect(callback?.origin).toBe("https://jitbot.test");

    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && /^(Access granted|Granting)/.test(m.text)),
      "the grant DM",
    );
    await t.settle();
    expect(await statusOf(id)).toBe("active");
    const approvals = await t.store.requests.approvals(id);
    expect(approvals.map((a) => [a.approverId, a.decision])).toEqual([["U0LEAD", "approve"]]);
    const trail = await t.store.auditTrail(id);
    const verified = trail.find((e) => e.action === "approval.step_up_verified");
    expect(JSON.parse(String(verified?.detail))).toMatchObject({ signedInAs: "lee@contoso.com", oid: LEE.oid });
    // Nothing secret in the shared table: the verifier and nonce are derived, never stored.
    const rows = await t.store.kysely.selectFrom("step_ups").selectAll().execute();
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(q?.get("nonce") ?? "-");
    expect(rows.every((r) => r.used_at !== null)).toBe(true);
  });

  it("asks for the profile's authentication context and refuses a sign-in that did not satisfy it", async () => {
    const { t, oidc } = rig;
    const first = await fileRequest(t, "aks-prod-dev", 3600);
    const link = await clickApprove(t, "U0OMAR", first.approval);
    oidc.signInAs = OMAR; // Omar's sign-in meets no Conditional Access context
    const refused = await browse(t, link);
    const claims = new URL(refused.hops[1] ?? "").searchParams.get("claims");
    expect(JSON.parse(claims ?? "{}")).toEqual({ id_token: { acrs: { essential: true, value: "c1" } } });
    expect(refused.status).toBe(403);
    expect(sentenceOf(refused)).toBe(
      "The sign-in did not satisfy the authentication context c1 this profile asks for, so your approval was not recorded.",
    );
    expect(await statusOf(first.id)).toBe("pending");

    const second = await clickApprove(t, "U0LEAD", first.approval);
    oidc.signInAs = LEE; // Lee's sign-in satisfies c1 (MFA done)
    const approved = await browse(t, second);
    expect(approved.status).toBe(200);
    await waitFor(async () => (await statusOf(first.id)) !== "pending", "the approval");
    await t.settle();
  });
});

describe("approver step-up: refusals", () => {
  it("refuses a sign-in as someone else, even another approver, and records nothing", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = OMAR;
    const visit = await browse(t, link);
    expect(visit.status).toBe(403);
    expect(sentenceOf(visit)).toBe(
      "You signed in as omar@contoso.com, which is not the Slack approver this link was made for, so nothing was recorded.",
    );
    expect(await t.store.requests.approvals(id)).toEqual([]);
    expect((await t.store.auditTrail(id)).map((e) => e.action)).toContain("approval.step_up_refused");
  });

  it("refuses a non-approver who follows an approver's link, and gives a non-approver no link", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const before = t.slack.ephemeralsFor("U0EVE").length;
    await t.driver.click("U0EVE", approval, "jit_approve");
    const refusal = await waitFor(() => t.slack.ephemeralsFor("U0EVE")[before], "Eve's refusal");
    expect(refusal.text).toBe(`You can't decide on this request: you are not an approver of "aks-prod-sre".`);
    expect(await t.store.kysely.selectFrom("step_ups").where("request_id", "=", id).selectAll().execute()).toEqual([]);

    const leesLink = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = EVE; // Eve got hold of Lee's link and signs in as herself
    const visit = await browse(t, leesLink);
    expect(visit.status).toBe(403);
    expect(sentenceOf(visit)).toContain("You signed in as eve@contoso.com, which is not the Slack approver");
    expect(await statusOf(id)).toBe("pending");
  });

  it("refuses an account that only carries the approver's address in its email claim: the object id decides", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = MALLORY; // her own account, with lee@contoso.com as its (editable) email
    const visit = await browse(t, link);
    expect(visit.status).toBe(403);
    expect(sentenceOf(visit)).toBe(
      "You signed in as mallory@contoso.com, but that is not the Entra account of the Slack approver this link was made for (its object id differs), so nothing was recorded.",
    );
    expect(await t.store.requests.approvals(id)).toEqual([]);
    const refused = (await t.store.auditTrail(id)).find((e) => e.action === "approval.step_up_refused");
    expect(JSON.parse(refused?.detail ?? "{}")).toMatchObject({ oid: MALLORY.oid });
    expect(await statusOf(id)).toBe("pending");
  });

  it("records nothing when Entra cannot say who the approver is, and says to try again", async () => {
    const { t, oidc, graph } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = LEE;
    graph.failNext(1);
    const visit = await browse(t, link);
    expect(visit.status).toBe(502);
    expect(sentenceOf(visit)).toBe(
      "jitbot could not look up your Entra account to check that this sign-in is yours, so your approval was not recorded; click Approve in Slack to try again.",
    );
    expect(await t.store.requests.approvals(id)).toEqual([]);
  });

  it("escapes what it echoes from the ID token", async () => {
    const { t, oidc } = rig;
    const { approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = {
      oid: "44444444-4444-4444-8444-444444444444",
      name: "x",
      upn: `<img src=x onerror="alert(1)">@contoso.com`,
    };
    const visit = await browse(t, link);
    expect(visit.status).toBe(403);
    expect(visit.body).not.toContain("<img");
    expect(sentenceOf(visit)).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;@contoso.com");
  });

  it.each([
    ["an expired ID token", "expired" as const, /JWT timestamp claim value failed validation: .*expiration/],
    ["an ID token signed with another key", "bad-signature" as const, /JWT signature verification failed/],
    ["an ID token for another app", "wrong-audience" as const, /&quot;aud&quot;/],
    ["an ID token with another nonce", "wrong-nonce" as const, /&quot;nonce&quot;/],
  ])("refuses %s", async (_what, tamper, why) => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = LEE;
    oidc.tamper = tamper;
    try {
      const visit = await browse(t, link);
      expect(visit.status).toBe(403);
      expect(sentenceOf(visit)).toMatch(
        /^The ID token did not pass its checks \(.*\), so your approval was not recorded\.$/,
      );
      expect(sentenceOf(visit)).toMatch(why);
    } finally {
      oidc.tamper = undefined;
    }
    expect(await t.store.requests.approvals(id)).toEqual([]);
    expect(await statusOf(id)).toBe("pending");
  });

  it("refuses a replayed state: the callback works once, on any replica", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = LEE;
    const first = await browse(t, link);
    expect(first.status).toBe(200);
    const callback = first.hops.at(-1) ?? "";
    const replay = await browse(t, callback);
    expect(replay.status).toBe(409);
    expect(sentenceOf(replay)).toBe(
      "This sign-in link has already been used, so it cannot record anything again; click Approve in Slack for a new one.",
    );
    const again = await browse(t, link);
    expect(again.status).toBe(409);
    // A state the bot never gave out, and a forged one, are unknown.
    const forged = new URL(callback);
    forged.searchParams.set("state", "A".repeat(43));
    expect((await browse(t, forged.href)).status).toBe(404);
    forged.searchParams.set("state", "<script>");
    expect((await browse(t, forged.href)).status).toBe(404);
    await waitFor(async () => (await statusOf(id)) !== "pending", "the approval");
    await t.settle();
  });

  it("expires a step-up not completed within 5 minutes of the click", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    // Not opened in time.
    const late = await clickApprove(t, "U0LEAD", approval);
    await t.clock.advance(5 * 60_000);
    const tooLate = await browse(t, late);
    expect(tooLate.status).toBe(410);
    expect(sentenceOf(tooLate)).toBe(
      "This sign-in link expired 5 minutes after Approve was clicked and nothing was recorded; click Approve in Slack again for a new one.",
    );
    // Opened in time, but the sign-in came back after the 5 minutes.
    const slow = await clickApprove(t, "U0LEAD", approval);
    await t.clock.advance(4 * 60_000);
    oidc.signInAs = LEE;
    const atEntra = await browse(t, slow, { stopAt: (url) => url.pathname === "/stepup/callback" });
    await t.clock.advance(60_000 + 1);
    const back = await browse(t, atEntra.hops.at(-1) ?? "");
    expect(back.status).toBe(410);
    expect(await t.store.requests.approvals(id)).toEqual([]);
    expect(await statusOf(id)).toBe("pending");
  });

  it("keeps the approval rules: a request denied meanwhile is not approved by a late sign-in", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    await t.bot.service.decide(id, "U0OMAR", "deny", "not during the freeze");
    oidc.signInAs = LEE;
    const visit = await browse(t, link);
    expect(visit.status).toBe(409);
    expect(sentenceOf(visit)).toBe(
      "You signed in, but your approval was not recorded: this request is already denied.",
    );
    expect(await statusOf(id)).toBe("denied");
  });

  it("cannot be bypassed: an approval without a verified sign-in is refused by the service itself", async () => {
    const { t } = rig;
    const { id } = await fileRequest(t, "aks-prod-sre", 3600);
    await expect(t.bot.service.decide(id, "U0LEAD", "approve")).rejects.toMatchObject({ code: "STEP_UP_REQUIRED" });
    expect(await statusOf(id)).toBe("pending");
  });

  it("leaves profiles without stepUp as they were: Approve records at once", async () => {
    const { t } = rig;
    const { id, approval } = await fileRequest(t, "eks-pod-manager", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(async () => (await statusOf(id)) !== "pending", "the approval");
    await t.settle();
    expect(await t.store.requests.approvals(id)).toMatchObject([{ approverId: "U0LEAD", decision: "approve" }]);
    expect(t.slack.ephemeralsFor("U0LEAD").some((m) => m.text.includes(id))).toBe(false);
  });
});

describe("approver step-up: the HTTP paths", () => {
  it("answers HEAD on the callback without taking the state, and GET then works", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = LEE;
    const atEntra = await browse(t, link, { stopAt: (url) => url.pathname === "/stepup/callback" });
    const callback = new URL(atEntra.hops.at(-1) ?? "");
    const head = await fetch(new URL(`${callback.pathname}${callback.search}`, t.bot.url), { method: "HEAD" });
    expect(head.status).toBe(405);
    expect((await browse(t, callback.href)).status).toBe(200);
    await waitFor(async () => (await statusOf(id)) !== "pending", "the approval");
    await t.settle();
  });

  it("refuses other methods on /stepup/start and /stepup/callback with 405", async () => {
    for (const path of ["/stepup/start", "/stepup/callback"]) {
      const res = await fetch(new URL(path, rig.t.bot.url), { method: "POST", body: "x" });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
  });
});

describe("approver step-up: when Entra ID says no or is away", () => {
  it("tells an approver who cancels the sign-in that nothing was recorded", async () => {
    const { t, oidc } = rig;
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const link = await clickApprove(t, "U0LEAD", approval);
    oidc.signInAs = undefined; // the person closes the prompt: Entra redirects back with error=access_denied
    const visit = await browse(t, link);
    expect(visit.status).toBe(403);
    expect(sentenceOf(visit)).toBe("Entra ID ended the sign-in (access_denied), so your approval was not recorded.");
    expect(await statusOf(id)).toBe("pending");
  });

  it("answers with a reference, and keeps serving, when Entra ID cannot be reached", async () => {
    const away = await startTestBot({
      policy: stepUpPolicy(),
      stepUp: { ...stepUpSettings(rig.oidc, rig.graph), issuer: new URL("https://127.0.0.1:1/x/v2.0") },
    });
    try {
      const { id, approval } = await fileRequest(away, "aks-prod-sre", 3600);
      const link = await clickApprove(away, "U0LEAD", approval);
      const visit = await browse(away, link);
      expect(visit.status).toBe(500);
      expect(sentenceOf(visit)).toMatch(
        /^jitbot could not finish this step \(reference [0-9a-f]{8}\); click Approve in Slack to try again\.$/,
      );
      expect((await fetch(new URL("/healthz", away.bot.url))).status).toBe(200);
      expect(await away.store.requests.approvals(id)).toEqual([]);
    } finally {
      await away.close();
    }
  });
});
