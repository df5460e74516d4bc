import { afterEach, describe, expect, it } from "vitest";
import { FakeProvider, fileRequest, Gate, unavailable } from "../expiry/support.js";
import type { TestBot } from "../support/bot.js";
import { waitFor } from "../support/bot.js";
import { auditRows, dmsMentioning, lifetimes } from "./life.js";

const WILL_REVOKE = "it will be revoked as soon as the grant completes";
let life: ReturnType<typeof lifetimes> | undefined;
afterEach(async () => {
  await life?.closeAll();
  life = undefined;
});

/** A request approved by Lee whose grant call is held open in the "cloud" by a gate. */
async function grantInFlight(fake: FakeProvider, crash?: "grant" | "revoke") {
  fake.grantGate = new Gate();
  life = lifetimes(fake);
  const t = await life.start(crash);
  const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
  await t.driver.click("U0LEAD", approval, "jit_approve");
  await waitFor(() => fake.grantGate?.entered, "the provider grant call");
  expect((await t.store.grants.get(id))?.status).toBe("granting");
  return { t, id, life };
}

const credentialDms = (t: TestBot, id: string) =>
  t.slack.dmsOf("U0ALICE").filter((m) => m.text.startsWith("Access granted") && m.text.includes(id));

describe("ending a request whose grant is still in flight", () => {
  const asks = [
    { who: "the requester, with /jit revoke", user: "U0ALICE", text: "revoke" },
    { who: "the requester, with /jit cancel", user: "U0ALICE", text: "cancel" },
    { who: "an approver, with /jit revoke", user: "U0LEAD", text: "revoke" },
  ];
  for (const ask of asks) {
    it(`is honoured when asked by ${ask.who}: answered, revoked the moment the grant completes, no credentials sent`, async () => {
      const fake = new FakeProvider("entra-group");
      const { t, id } = await grantInFlight(fake);
      await t.driver.command(ask.user, `${ask.text} ${id}`);
      await waitFor(() => dmsMentioning(t, ask.user, WILL_REVOKE).length, "the answer to whoever asked");
      expect(await t.store.grants.get(id)).toMatchObject({ status: "granting", revokeRequestedBy: ask.user });

      fake.grantGate?.open();
      await waitFor(
        async () => (await t.store.requests.mustGet(id)).status === "revoked",
        "the revoke after the grant",
      );
      await t.settle();
      expect(fake.revoked.get(id)).toBe(1);
      expect(fake.granted.has(id)).toBe(false);
      expect(credentialDms(t, id)).toEqual([]);
      await waitFor(() => dmsMentioning(t, "U0ALICE", `${id} to AKS prod`).length, "the 'was revoked' DM");
      expect(dmsMentioning(t, "U0ALICE", "was revoked").length).toBe(1);
      expect(await auditRows(t, id)).toEqual(
        expect.arrayContaining([
          { action: "grant.revoke_requested", actor: ask.user },
          { action: "request.active", actor: "jitbot" },
          { action: "request.revoked", actor: "jitbot" },
        ]),
      );
    });
  }

  it("tells whoever asked when the grant then fails: nothing is left to revoke", async () => {
    const fake = new FakeProvider("entra-group");
    fake.grantFailure = unavailable;
    const { t, id } = await grantInFlight(fake);
    await t.driver.command("U0LEAD", `revoke ${id}`);
    await waitFor(() => dmsMentioning(t, "U0LEAD", WILL_REVOKE).length, "the answer");
    fake.grantGate?.open();
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "failed", "the failed grant");
    const said = await waitFor(
      () => t.slack.messagesIn("C0APPROVALS").find((m) => m.text.startsWith(`Granting ${id} failed`)),
      "the channel message",
    );
    expect(JSON.stringify(said.blocks)).toContain("<@U0LEAD> had asked to revoke it meanwhile");
    expect(JSON.stringify(dmsMentioning(t, "U0ALICE", `Granting ${id} failed`)[0]?.blocks)).toContain(
      "nothing left to revoke",
    );
    expect(fake.revoked.get(id)).toBe(1);
  });

  it("survives a restart after the grant completed but before its revoke was confirmed", async () => {
    const fake = new FakeProvider("entra-group");
    const { t, id, life } = await grantInFlight(fake);
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(() => dmsMentioning(t, "U0ALICE", WILL_REVOKE).length, "the answer");
    fake.revokeGate = new Gate();
    fake.grantGate?.open();
    await waitFor(() => fake.revokeGate?.entered, "the revoke call");
    expect(fake.granted.has(id)).toBe(true);
    await life.kill(t);

    fake.revokeGate = undefined;
    const second = await life.start();
    expect((await second.store.requests.mustGet(id)).status).toBe("revoked");
    expect(fake.granted.has(id)).toBe(false);
    expect(credentialDms(second, id)).toEqual([]);
    expect(await auditRows(second, id)).toContainEqual({ action: "grant.revoke_requested", actor: "U0ALICE" });
  });

  it("survives a restart in the middle of the grant call: rolled back, and whoever asked is told", async () => {
    const fake = new FakeProvider("entra-group");
    const { t, id, life } = await grantInFlight(fake, "grant");
    await t.driver.command("U0LEAD", `revoke ${id}`);
    await waitFor(() => dmsMentioning(t, "U0LEAD", WILL_REVOKE).length, "the answer");
    fake.grantGate?.open();
    await waitFor(() => fake.granted.has(id), "the provider to grant");
    await t.settle();
    await life.kill(t);

    const second = await life.start();
    expect((await second.store.requests.mustGet(id)).status).toBe("failed");
    expect(fake.granted.has(id)).toBe(false);
    const said = await waitFor(
      () => second.slack.messagesIn("C0APPROVALS").find((m) => m.text.startsWith(`Granting ${id} failed`)),
      "the channel message",
    );
    expect(JSON.stringify(said.blocks)).toContain("<@U0LEAD> had asked to revoke it meanwhile");
    expect(await auditRows(second, id)).toContainEqual({ action: "grant.revoke_requested", actor: "U0LEAD" });
  });
});

describe("withdrawing an approved request whose grant has not started", () => {
  it("cancels it, says so, and no restart or late grant ever grants it", async () => {
    const fake = new FakeProvider("entra-group");
    life = lifetimes(fake);
    const t = await life.start();
    const { id } = await fileRequest(t, "aks-prod-sre", 3600);
    // Approved, but its grant not started: as a drain leaves it for the next start-up.
    const approved = await t.store.requests.transition({
      id,
      from: "pending",
      event: "approve",
      at: t.clock.now(),
      actor: "U0LEAD",
    });
    await t.driver.command("U0ALICE", `cancel ${id}`);
    await waitFor(() => dmsMentioning(t, "U0ALICE", "withdrawn before its grant started").length, "the answer");
    expect((await t.store.requests.mustGet(id)).status).toBe("cancelled");
    // The grant that was queued for it comes late: it starts nothing.
    await t.bot.engine.grant(approved);
    expect(await t.store.grants.get(id)).toBeUndefined();
    await life.kill(t);

    const second = await life.start();
    expect((await second.store.requests.mustGet(id)).status).toBe("cancelled");
    expect(fake.grantCalls.get(id)).toBeUndefined();
  });

  it("an approver's revoke withdraws it too, and the requester is told who did", async () => {
    const fake = new FakeProvider("entra-group");
    life = lifetimes(fake);
    const t = await life.start();
    const { id } = await fileRequest(t, "aks-prod-sre", 3600);
    await t.store.requests.transition({ id, from: "pending", event: "approve", at: t.clock.now(), actor: "U0LEAD" });
    await t.driver.command("U0LEAD", `revoke ${id}`);
    await waitFor(() => dmsMentioning(t, "U0ALICE", "<@U0LEAD> withdrew your request").length, "the requester DM");
    expect((await t.store.requests.mustGet(id)).status).toBe("cancelled");
    expect(await auditRows(t, id)).toContainEqual({ action: "request.cancelled", actor: "U0LEAD" });
    await waitFor(() => dmsMentioning(t, "U0LEAD", "withdrawn before its grant started").length, "the answer");
  });
});

describe("a revoke that lands while the credentials DM is on its way", () => {
  it("redacts that DM once it is posted, so no live-looking secret stays in the DM", async () => {
    const fake = new FakeProvider("entra-group");
    life = lifetimes(fake);
    const t = await life.start();
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    const dmOnItsWay = t.slack.holdNext("chat.postMessage", (args) =>
      String(args.text ?? "").startsWith("Access granted"),
    );
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await dmOnItsWay.reached;
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    dmOnItsWay.release();
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && /^Access (granted|ended)/.test(m.text)),
      "the credentials DM",
    );
    await waitFor(
      () =>
        t.slack
          .callsOf("chat.update")
          .some((u) => u.ts === dm.ts && JSON.stringify(u).includes("these credentials are no longer valid")),
      "the redaction of the late DM",
    );
    expect(JSON.stringify(dm.blocks)).not.toContain("FAKE-SECRET-123");
  });
});
