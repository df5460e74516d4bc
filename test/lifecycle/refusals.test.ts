import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/grants/errors.js";
import type { GrantOutcome, GrantProvider, GrantRequest, RevokeOutcome } from "../../src/grants/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { signedHeaders } from "../../src/slack/signing.js";
import { examplePolicy, SIGNING_SECRET, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";

/** Fails every grant of one profile, like a cloud that refuses: counts revokes for roll-back. */
class RefusingProvider implements GrantProvider {
  readonly type = "aws-role" as const;
  revokes = 0;
  async grant(_request: GrantRequest): Promise<GrantOutcome> {
    throw new ProviderError(
      "FORBIDDEN",
      "AWS refused AssumeRole: the bot's role may not assume EKS-Pod-Manager; add it to the role's trust policy.",
    );
  }
  async revoke(): Promise<RevokeOutcome> {
    this.revokes++;
    return { detail: "nothing to undo" };
  }
}

let t: TestBot;
const refusing = new RefusingProvider();
beforeAll(async () => {
  const providers = dryRunProviders();
  providers.set("aws-role", refusing);
  const policy = examplePolicy((yaml) =>
    yaml
      .replace("    ticket: { required: false", "    ticket: { required: true")
      .replace(
        "approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }\n",
        "approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD, U0ALICE] } }\n",
      ),
  );
  t = await startTestBot({ policy, providers });
});
afterAll(async () => {
  await t.close();
});

async function openModal(userId: string, text = "request aks-prod-sre") {
  const before = [...t.slack.views.values()].filter((v) => v.userId === userId).length;
  await t.driver.command(userId, text);
  return waitFor(() => [...t.slack.views.values()].filter((v) => v.userId === userId)[before], "the modal");
}

const good = {
  profile: "aks-prod-sre",
  duration: "3600",
  justification: "Rotating the ingress certificate",
  ticket: "OPS-7",
};

async function pendingRequest(
  profile = "aks-prod-sre",
  userId = "U0ALICE",
): Promise<{ id: string; message: PostedMessage }> {
  const view = await openModal(userId, `request ${profile}`);
  const before = t.slack.messagesIn("C0APPROVALS").length;
  const res = await t.driver.submit(userId, view, { ...good, profile });
  expect(res.json?.response_action).toBeUndefined();
  const message = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the approval message");
  return { id: /JR-[A-Z0-9]{6}/.exec(message.text)?.[0] ?? "", message };
}

describe("requests into the bot must be Slack's", () => {
  const body = new URLSearchParams({
    command: "/jit",
    text: "help",
    user_id: "U0ALICE",
    trigger_id: "U0ALICE.1",
  }).toString();

  it("refuses a forged signature", async () => {
    const headers = signedHeaders("not-the-secret", body);
    const res = await t.driver.post(body, "application/x-www-form-urlencoded", headers);
    expect(res.status).toBe(401);
  });

  it("refuses a timestamp older than five minutes, even correctly signed", async () => {
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await t.driver.post(
      body,
      "application/x-www-form-urlencoded",
      signedHeaders(SIGNING_SECRET, body, stale),
    );
    expect(res.status).toBe(401);
  });

  it("refuses a request without signature headers", async () => {
    const res = await t.driver.post(body, "application/x-www-form-urlencoded", {});
    expect(res.status).toBe(401);
  });

  it("survives a malformed interactivity payload", async () => {
    const raw = "payload=%7Bnot-json";
    const res = await t.driver.post(raw, "application/x-www-form-urlencoded");
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${t.bot.url}/healthz`)).status).toBe(200);
  });
});

describe("the request form refuses bad input in the modal, and loses nothing", () => {
  it.each([
    [
      "an unknown profile (forged payload)",
      { profile: "aks-prod-root" },
      "profile",
      'There is no access profile called "aks-prod-root"',
    ],
    [
      "a duration over the cap (forged payload)",
      { duration: String(48 * 3600) },
      "duration",
      "longer than this profile allows (at most 4h)",
    ],
    ["a justification that is too short", { justification: "pls" }, "justification", "at least 10 characters"],
    ["a missing ticket where one is required", { ticket: "" }, "ticket", "needs a ticket reference"],
    ["a ticket in the wrong format", { ticket: "ticket 7" }, "ticket", "does not match the expected format"],
    [
      "a profile the person may not request",
      { profile: "aks-prod-sre" },
      "profile",
      "not among the people who may request",
      "U0EVE",
    ],
  ])("refuses %s", async (_case, change, field, sentence, userId = "U0ALICE") => {
    const view = await openModal(userId, "request");
    const res = await t.driver.submit(userId, view, { ...good, ...change });
    expect(res.status).toBe(200);
    expect(res.json?.response_action).toBe("errors");
    const errors = (res.json?.errors ?? {}) as Record<string, string>;
    expect(String(errors[field])).toContain(sentence);
  });

  it("opens the form anyway for a mistyped profile, keeping the justification", async () => {
    const view = await openModal("U0ALICE", "request aks-prod-srr 1h checking the pods");
    const text = JSON.stringify(view.view);
    expect(text).toContain("There is no profile `aks-prod-srr`");
    expect(text).toContain('"initial_value":"checking the pods"');
  });

  it("tells a person without a readable email why it cannot proceed", async () => {
    const view = await openModal("U0NOMAIL", "request aks-prod-sre");
    const res = await t.driver.submit("U0NOMAIL", view, good);
    await waitFor(() => res.status === 200 && t.slack.dmsOf("U0NOMAIL").length > 0, "a DM");
    expect(textOf(t.slack.dmsOf("U0NOMAIL")[0] ?? { text: "", blocks: [] })).toContain(
      "cannot read your email address",
    );
    expect(await t.store.requests.listByRequester("U0NOMAIL", ["pending"])).toHaveLength(0);
  });
});

describe("only approvers decide, once", () => {
  it("refuses a click by someone who is not an approver, changing nothing", async () => {
    const { id, message } = await pendingRequest();
    await t.driver.click("U0EVE", message, "jit_approve");
    const refusal = await waitFor(() => t.slack.ephemeralsFor("U0EVE").at(-1), "an ephemeral refusal");
    expect(refusal.text).toBe(`You can't decide on this request: you are not an approver of "aks-prod-sre".`);
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
  });

  it("refuses self-approval", async () => {
    const { id, message } = await pendingRequest("aks-prod-sre", "U0OMAR");
    await t.driver.click("U0OMAR", message, "jit_approve");
    const refusal = await waitFor(
      () => t.slack.ephemeralsFor("U0OMAR").find((m) => m.text.includes("own request")),
      "the refusal",
    );
    expect(refusal.text).toContain("you cannot approve your own request");
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
  });

  it("refuses to open the deny form for a non-approver", async () => {
    const { message } = await pendingRequest();
    const views = t.slack.views.size;
    await t.driver.click("U0EVE", message, "jit_deny");
    await waitFor(() => t.slack.ephemeralsFor("U0EVE").length >= 2, "the refusal");
    expect(t.slack.views.size).toBe(views);
  });

  it("turns twenty simultaneous approvals into exactly one grant", async () => {
    const { id, message } = await pendingRequest();
    const clickers = ["U0LEAD", "U0OMAR"];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.driver.click(clickers[i % 2] ?? "U0LEAD", message, "jit_approve")),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "active", "the grant");
    await t.bot.engine.idle();
    const dryRun = t.providers.get("entra-group") as unknown as { records: { verb: string; requestId: string }[] };
    expect(dryRun.records.filter((r) => r.verb === "grant" && r.requestId === id)).toHaveLength(1);
    expect(await t.store.requests.approvals(id)).toHaveLength(1);
    const grantDms = t.slack.dmsOf("U0ALICE").filter((m) => m.text.startsWith("Access granted") && m.text.includes(id));
    expect(grantDms).toHaveLength(1);
  });

  it("answers a click on a denied request with what happened", async () => {
    const { id, message: posted } = await pendingRequest();
    // The message as the approver saw it, buttons and all: the bot may already have redrawn it.
    const message = structuredClone(posted);
    await t.store.requests.decide({
      id,
      approverId: "U0LEAD",
      decision: "deny",
      required: 1,
      at: t.clock.now(),
      note: "no",
    });
    await t.driver.click("U0OMAR", message, "jit_approve");
    const refusal = await waitFor(
      () => t.slack.ephemeralsFor("U0OMAR").find((m) => m.text.includes("already denied")),
      "the refusal",
    );
    expect(refusal.text).toBe("You can't decide on this request: this request is already denied.");
  });

  it("refuses to cancel or revoke someone else's request", async () => {
    const { id } = await pendingRequest();
    await t.driver.command("U0EVE", `cancel ${id}`);
    await waitFor(
      () => t.slack.dmsOf("U0EVE").some((m) => m.text.includes("Only the person who asked")),
      "the refusal",
    );
    expect((await t.store.requests.mustGet(id)).status).toBe("pending");
  });

  it("answers an unknown request id", async () => {
    await t.driver.command("U0ALICE", "revoke JR-ZZZZZZ");
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").some((m) => m.text.includes("There is no request JR-ZZZZZZ")),
      "the answer",
    );
  });
});

describe("a provider that fails", () => {
  it("marks the request failed, tells requester and channel in one sentence, and leaves nothing half-granted", async () => {
    const { id, message } = await pendingRequest("eks-pod-manager");
    await t.driver.click("U0LEAD", message, "jit_approve");
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "failed", "the failure");
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(`Granting ${id} failed`)),
      "the DM",
    );
    expect(textOf(dm)).toContain("add it to the role's trust policy");
    expect(textOf(dm)).not.toMatch(/at .*\.ts:\d+/);
    await waitFor(
      () => t.slack.messagesIn("C0APPROVALS").some((m) => m.text.includes(`Granting ${id} failed`)),
      "the channel post",
    );
    expect(refusing.revokes).toBeGreaterThanOrEqual(1);
    expect((await t.store.grants.get(id))?.status).toBe("failed");
  });
});
