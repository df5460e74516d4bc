import { afterEach, describe, expect, it } from "vitest";
import type { OpenedView, PostedMessage } from "../../src/playground/slack-web-api.js";
import { activeGrant, clockAt, FakeProvider, registryWith } from "../expiry/support.js";
import { examplePolicy, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { dmsMentioning, lifetimes } from "./life.js";

const open: TestBot[] = [];
const lives: ReturnType<typeof lifetimes>[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  for (const life of lives.splice(0)) await life.closeAll();
});

const policyWith = (autoApprove: boolean) =>
  examplePolicy((yaml) => yaml.replace("autoApprove: false", `autoApprove: ${autoApprove}`));

async function bot(fake: FakeProvider, autoApprove: boolean): Promise<TestBot> {
  const t = await startTestBot({ clock: clockAt(), policy: policyWith(autoApprove), providers: registryWith(fake) });
  open.push(t);
  return t;
}

/**
 * Alice clicks Extend on her credential DM and submits the form for `seconds` more; `extendsId`
 * replaces the id the form carries, as a crafted submission would.
 */
async function extend(t: TestBot, dm: PostedMessage, seconds: number, extendsId?: string) {
  const views = t.slack.views.size;
  await t.driver.click("U0ALICE", dm, "jit_extend");
  const modal: OpenedView = await waitFor(() => [...t.slack.views.values()][views], "the extension modal");
  const submitted = extendsId
    ? { ...modal, view: { ...modal.view, private_metadata: JSON.stringify({ extends: extendsId }) } }
    : modal;
  const res = await t.driver.submit("U0ALICE", submitted, {
    profile: "aks-prod-sre",
    duration: String(seconds),
    justification: "The rollout needs a little longer",
    ticket: "OPS-7",
  });
  expect(res.json?.response_action).toBeUndefined();
}

const credentialDm = async (t: TestBot, id: string) => {
  const dmTs = (await t.store.grants.get(id))?.dmTs;
  return t.slack.dmsOf("U0ALICE").find((m) => m.ts === dmTs) as PostedMessage;
};

const extensionsOf = async (t: TestBot, status: "active" | "revoked" | "failed" | "pending") =>
  (await t.store.requests.listByRequester("U0ALICE", [status])).filter((r) => r.extendsRequestId);

describe("an extension of an extension", () => {
  it("moves the root grant, never becomes a grant of its own, and ends with the root", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await bot(fake, true);
    const { id: root } = await activeGrant(t, "aks-prod-sre", 3600);
    const end = (await t.store.grants.get(root))?.expiresAt.getTime() ?? 0;
    await extend(t, await credentialDm(t, root), 1800);
    const first = await waitFor(async () => (await extensionsOf(t, "active"))[0], "the first extension");
    // A submission naming the applied extension rather than the grant.
    await extend(t, await credentialDm(t, root), 1800, first.id);
    const second = await waitFor(async () => (await extensionsOf(t, "active"))[1], "the second extension");

    expect(second.extendsRequestId).toBe(root);
    expect(await t.store.grants.get(second.id)).toBeUndefined();
    expect((await t.store.grants.get(root))?.expiresAt.getTime()).toBe(end + 3600_000);
    expect(fake.grantCalls.get(second.id)).toBeUndefined();

    await t.driver.command("U0ALICE", `revoke ${root}`);
    await waitFor(async () => (await t.store.requests.mustGet(root)).status === "revoked", "the root to end");
    expect((await extensionsOf(t, "revoked")).map((r) => r.id)).toEqual([first.id, second.id]);
    expect(await t.store.grants.active()).toEqual([]);
    expect(fake.granted.size).toBe(0);
  });

  it("revoking any id of the chain ends the root grant", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await bot(fake, true);
    const { id: root } = await activeGrant(t, "aks-prod-sre", 3600);
    await extend(t, await credentialDm(t, root), 1800);
    const first = await waitFor(async () => (await extensionsOf(t, "active"))[0], "the first extension");
    await extend(t, await credentialDm(t, root), 1800, first.id);
    const second = await waitFor(async () => (await extensionsOf(t, "active"))[1], "the second extension");

    await t.driver.command("U0ALICE", `revoke ${second.id}`);
    await waitFor(async () => (await t.store.requests.mustGet(root)).status === "revoked", "the root to end");
    expect(fake.revoked.get(root)).toBe(1);
    expect(await t.store.grants.active()).toEqual([]);
    expect(await t.store.requests.listByRequester("U0ALICE", ["active"])).toEqual([]);
  });

  it("an approved extension whose root grant ended (and the bot restarted) grants nothing; the requester is told", async () => {
    const fake = new FakeProvider("entra-group");
    const life = lifetimes(fake, policyWith(false));
    lives.push(life);
    const t = await life.start();
    const { id: root } = await activeGrant(t, "aks-prod-sre", 3600);
    const before = t.slack.messagesIn("C0APPROVALS").length;
    await extend(t, await credentialDm(t, root), 1800);
    const approval = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the extension's approval message");
    const extension = (await extensionsOf(t, "pending"))[0];
    if (!extension) throw new Error("no pending extension");
    await t.driver.command("U0ALICE", `revoke ${root}`);
    await waitFor(async () => (await t.store.requests.mustGet(root)).status === "revoked", "the root to end");
    await t.settle();
    await life.kill(t);

    const after = await life.start();
    await after.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(
      async () => (await after.store.requests.mustGet(extension.id)).status === "failed",
      "the extension to fail",
    );
    await after.settle();
    expect(await after.store.grants.get(extension.id)).toBeUndefined();
    expect(fake.grantCalls.get(extension.id)).toBeUndefined();
    expect(await after.store.grants.active()).toEqual([]);
    await waitFor(
      () => dmsMentioning(after, "U0ALICE", `Granting ${extension.id} failed`).length,
      "the requester to be told",
    );
  });
});
