import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dmChannelOf } from "../../src/playground/slack-web-api.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
});
afterAll(async () => {
  await t.close();
});

/** Files a request through the modal the way a person does; returns its id. */
async function fileRequest(justification = "Investigating the failing ingress in prod", userId = "U0ALICE") {
  await t.driver.command(userId, "request aks-prod-sre 2h");
  const view = await waitFor(() => [...t.slack.views.values()].filter((v) => v.userId === userId).at(-1), "the modal");
  const before = t.slack.messagesIn("C0APPROVALS").length;
  const res = await t.driver.submit(userId, view, {
    profile: "aks-prod-sre",
    duration: "7200",
    justification,
    ticket: "OPS-42",
  });
  expect(res.status).toBe(200);
  const message = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the approval message");
  const id = /JR-[A-Z0-9]{6}/.exec(message.text)?.[0];
  if (!id) throw new Error("no request id in the approval message");
  return { id, message };
}

describe("a request, approved, becomes access", () => {
  it("answers /jit help with what the bot does and the profiles the person may request", async () => {
    const res = await t.driver.command("U0ALICE", "help");
    expect(res.status).toBe(200);
    expect(res.json?.response_type).toBe("ephemeral");
    expect(textOf({ text: String(res.json?.text), blocks: (res.json?.blocks as unknown[]) ?? [] })).toContain(
      "aks-prod-sre",
    );
    const bare = await t.driver.command("U0EVE", "");
    expect(JSON.stringify(bare.json)).toContain("/jit request");
  });

  it("opens the modal prefilled from what was typed", async () => {
    const res = await t.driver.command("U0ALICE", "request aks-prod-sre 2h fixing the ingress controller");
    expect(res.status).toBe(200);
    const view = await waitFor(() => t.slack.callsOf("views.open").at(-1), "views.open");
    const blocks = JSON.stringify((view.view as { blocks: unknown[] }).blocks);
    expect(blocks).toContain('"initial_option":{"text":{"type":"plain_text","text":"AKS prod — SRE namespace"');
    expect(blocks).toContain('"initial_option":{"text":{"type":"plain_text","text":"2h","emoji":true},"value":"7200"}');
    expect(blocks).toContain('"initial_value":"fixing the ingress controller"');
  });

  it("offers only the profiles the person may request", async () => {
    await t.driver.command("U0EVE", "request");
    const view = await waitFor(() => [...t.slack.views.values()].find((v) => v.userId === "U0EVE"), "Eve's modal");
    const text = JSON.stringify(view.view);
    expect(text).not.toContain("aks-prod-sre");
    expect(text).toContain("aks-prod-dev");
  });

  it("stores a pending request, DMs a receipt and posts the approval message", async () => {
    const { id, message } = await fileRequest();
    expect(await t.store.requests.mustGet(id)).toMatchObject({
      status: "pending",
      durationSeconds: 7200,
      ticket: "OPS-42",
    });
    const text = textOf(message);
    for (const part of [
      "<@U0ALICE>",
      "AKS prod — SRE namespace",
      "prod-aks",
      "2h",
      "OPS-42",
      "Investigating the failing ingress",
      id,
    ]) {
      expect(text).toContain(part);
    }
    expect(text).toContain('"action_id":"jit_approve"');
    expect(text).toContain('"confirm"');
    await waitFor(() => t.slack.dmsOf("U0ALICE").some((m) => m.text.includes(id)), "the receipt DM");
  });

  it("grants on approval: message updated without buttons, DMs with connect steps", async () => {
    const { id, message } = await fileRequest();
    const res = await t.driver.click("U0LEAD", message, "jit_approve");
    expect(res.status).toBe(200);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "active", "the grant to become active");
    const updated = t.slack.messagesIn("C0APPROVALS").find((m) => m.ts === message.ts);
    await waitFor(() => updated && textOf(updated).includes("access granted"), "the approval message update");
    expect(textOf(updated ?? message)).not.toContain("jit_approve");
    expect(textOf(updated ?? message)).toContain("<@U0LEAD>");
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.startsWith("Access granted") && m.text.includes(id)),
      "the grant DM",
    );
    expect(textOf(dm)).toContain("az aks get-credentials --resource-group rg-prod --name prod-aks");
    expect(textOf(dm)).toContain("would add alice@contoso.com to Entra group 6f1c2a9e");
    await t.bot.engine.idle();
    const receipt = t.slack
      .dmsOf("U0ALICE")
      .find((m) => m.text.includes(`request ${id}`) && m.text.includes("was approved"));
    expect(receipt?.edited).toBe(true);
    expect(JSON.stringify(receipt?.blocks)).not.toContain("jit_cancel");
    const grant = await t.store.grants.get(id);
    expect(grant?.status).toBe("active");
    expect(grant?.expiresAt.getTime()).toBe((grant?.grantedAt?.getTime() ?? 0) + 7_200_000);
    expect(grant?.dmChannel).toBe(dmChannelOf("U0ALICE"));
  });

  it("lists my pending requests and active grants with time left", async () => {
    const res = await t.driver.command("U0ALICE", "list");
    const text = JSON.stringify(res.json);
    expect(text).toContain("Active access");
    expect(text).toMatch(/2h left|1h 59m left/);
    expect(text).toContain("Pending requests");
  });

  it("denies with a reason through the deny modal", async () => {
    const { id, message } = await fileRequest();
    await t.driver.click("U0OMAR", message, "jit_deny");
    const modal = await waitFor(
      () => [...t.slack.views.values()].find((v) => v.userId === "U0OMAR" && v.view.callback_id === "jit_deny"),
      "the deny modal",
    );
    const res = await t.driver.submit("U0OMAR", modal, { reason: "Use the read-only profile <!channel>" });
    expect(res.status).toBe(200);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "denied", "the denial");
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(`${id} was denied`)),
      "the denial DM",
    );
    expect(textOf(dm)).toContain("Use the read-only profile &lt;!channel&gt;");
    // The DM and the channel update are sent one after the other: the DM may arrive first.
    const updated = await waitFor(() => {
      const found = t.slack.messagesIn("C0APPROVALS").find((m) => m.ts === message.ts);
      return found && textOf(found).includes("Denied") ? found : undefined;
    }, "the approval message's update");
    expect(textOf(updated)).not.toContain("jit_approve");
  });

  it("withdraws a pending request with /jit cancel", async () => {
    const { id, message } = await fileRequest();
    const res = await t.driver.command("U0ALICE", `cancel ${id}`);
    expect(JSON.stringify(res.json)).toContain(`Withdrawing ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "cancelled", "the cancellation");
    await waitFor(
      () => textOf(t.slack.messagesIn("C0APPROVALS").find((m) => m.ts === message.ts) ?? message).includes("Withdrawn"),
      "the message update",
    );
  });

  it("withdraws a request filed a moment ago, before its approval message was stored, and the message says so", async () => {
    const posting = t.slack.holdNext("chat.postMessage", (args) => args.channel === "C0APPROVALS");
    await t.driver.command("U0ALICE", "request aks-prod-sre 2h");
    const view = await waitFor(
      () => [...t.slack.views.values()].filter((v) => v.userId === "U0ALICE").at(-1),
      "the modal",
    );
    const justification = "Cancelled before its message was even stored";
    await t.driver.submit("U0ALICE", view, { profile: "aks-prod-sre", duration: "7200", justification, ticket: "" });
    await posting.reached;
    const filed = await waitFor(
      async () =>
        (await t.store.requests.listByRequester("U0ALICE", ["pending"])).find((r) => r.justification === justification),
      "the request",
    );
    const res = await t.driver.command("U0ALICE", `cancel ${filed.id}`);
    expect(JSON.stringify(res.json)).toContain(`Withdrawing ${filed.id}`);
    await waitFor(async () => (await t.store.requests.mustGet(filed.id)).status === "cancelled", "the cancellation");
    posting.release();
    const message = await waitFor(
      () => t.slack.messagesIn("C0APPROVALS").find((m) => m.text.includes(filed.id)),
      "the approval message",
    );
    await waitFor(() => textOf(message).includes("Withdrawn"), "the message brought up to date");
    expect(JSON.stringify(message.blocks)).not.toContain("jit_approve");
  });

  it("ends access early with /jit revoke, through the provider", async () => {
    const { id, message } = await fileRequest();
    await t.driver.click("U0LEAD", message, "jit_approve");
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "active", "the grant");
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(`${id}`) && m.text.includes("was revoked")),
      "the revoked DM",
    );
    expect(textOf(dm)).toContain("would remove the access of alice@contoso.com");
  });

  it("escapes what people type, so nobody can ping @channel or forge a mention", async () => {
    const { message } = await fileRequest("Need it <!channel> now <@U0LEAD> see <https://evil.example|docs> @here");
    const text = JSON.stringify(message.blocks);
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<@U0LEAD> see");
    expect(text).not.toContain("<https://evil.example|docs>");
    expect(text).toContain("&lt;!channel&gt;");
    expect(text).toContain("&lt;https://evil.example|docs&gt;");
    expect(text).not.toMatch(/@here/);
  });

  it("answers health and readiness", async () => {
    expect((await fetch(`${t.bot.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.bot.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${t.bot.url}/metrics`)).text();
    expect(metrics).toContain('jitbot_requests{state="active",replica="jitbot"}');
  });

  it("keeps an audit trail whose chain verifies", async () => {
    expect(await t.store.verifyAudit()).toMatchObject({ ok: true });
  });
});
