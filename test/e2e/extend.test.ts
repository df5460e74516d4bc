/**
 * An extension must reach the cloud: Entra itself ends a PIM assignment at its expiration and
 * refuses a service principal's secret after its endDateTime, whatever jitbot believes. The fakes
 * enforce both ends at the bot's injected clock, so "extended" is only true if the provider moved them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { type EntraFixture, startEntraFixture, TENANT_ID } from "../entra/harness.js";
import { tick } from "../expiry/support.js";
import { signIn, startTokenEndpoint, type TokenEndpoint } from "../fakes/entra-token-endpoint.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { databaseHolds } from "../support/store-rows.js";
import { requestAndApprove } from "./helpers.js";

const MINUTE = 60_000;
let entra: EntraFixture;
let tokens: TokenEndpoint;
let t: TestBot;
let aliceId = "";

beforeAll(async () => {
  // The tenant keeps the bot's clock below, which the providers' replication waits do not move: no delay here.
  entra = await startEntraFixture({ extension: { max: "2h", autoApprove: false }, replicationDelayMs: 0 });
  aliceId = entra.graph.directory.addUser({ userPrincipalName: "alice@contoso.com", mail: "alice@contoso.com" }).id;
  tokens = await startTokenEndpoint(entra.graph.directory, TENANT_ID);
  const providers = new Map<GrantType, GrantProvider>(entra.providers.map((p) => [p.type, p]));
  t = await startTestBot({ policy: entra.policy, providers });
  // The fake tenant keeps the bot's time: PIM and password ends pass when the test moves the clock.
  entra.graph.directory.now = () => t.clock.now().getTime();
});
afterAll(async () => {
  await t.close();
  await tokens.close();
  await entra.close();
});

/** Alice clicks Extend on `dm`, asks for `seconds` more, and Lee approves. */
async function extendAndApprove(dm: PostedMessage, profileId: string, seconds: number): Promise<void> {
  const views = t.slack.views.size;
  await t.driver.click("U0ALICE", dm, "jit_extend");
  const modal = await waitFor(() => [...t.slack.views.values()][views], "the extension modal");
  const before = t.slack.messagesIn("C0APPROVALS").length;
  const res = await t.driver.submit("U0ALICE", modal, {
    profile: profileId,
    duration: String(seconds),
    justification: "The migration needs more time",
    ticket: "OPS-7",
  });
  expect(res.json?.response_action).toBeUndefined();
  const approval = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the extension approval");
  await t.driver.click("U0LEAD", approval, "jit_approve");
}

const secretIn = (dm: PostedMessage) =>
  /--password='([^'\s]+)'/.exec(textOf(dm).replace(/\\n/g, "\n"))?.[1] ?? "missing";

describe("extending an Entra grant moves the end Entra enforces", () => {
  it("entra-pim-group: adminExtend moves the assignment's end; Alice is still a member after the original end", async () => {
    const { id, dm } = await requestAndApprove(t, "aks-pim", 3600);
    const oldEnd = (await t.store.grants.get(id))?.expiresAt.getTime() ?? 0;
    await extendAndApprove(dm, "aks-pim", 1800);
    await waitFor(
      async () => (await t.store.grants.get(id))?.expiresAt.getTime() === oldEnd + 1800_000,
      "jitbot's new end",
    );
    const calls = entra.graph.calls.filter((c) => JSON.stringify(c.body).includes("adminExtend"));
    expect(calls).toHaveLength(1);
    const instance = entra.graph.directory.pimInstances().find((i) => i.principalId === aliceId);
    expect(instance?.endDateTime).toBe(new Date(oldEnd + 1800_000).toISOString());
    expect((await t.store.grants.get(id))?.providerExpiresAt?.getTime()).toBe(oldEnd + 1800_000);
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && m.text.includes("now ends")),
      "the DM",
    );

    // Past the original end: PIM has not ended the membership, and jitbot has not revoked.
    await tick(t, oldEnd - t.clock.now().getTime() + MINUTE, 10 * MINUTE);
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    expect(entra.graph.directory.isMember(entra.groupId, aliceId)).toBe(true);
    // Past the new end: gone, both in PIM and in jitbot.
    await tick(t, 30 * MINUTE, 10 * MINUTE);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "expired", "the expiry");
    expect(entra.graph.directory.isMember(entra.groupId, aliceId)).toBe(false);
  });

  it("entra-service-principal: a new secret works past the old end, the old one does not, and the old DM loses it", async () => {
    const { id, dm } = await requestAndApprove(t, "aks-sp", 3600);
    const oldSecret = secretIn(dm);
    const appId = String((await t.store.grants.get(id))?.state.appId);
    expect(await signIn(tokens, TENANT_ID, appId, oldSecret)).toEqual({ ok: true });
    const oldEnd = (await t.store.grants.get(id))?.expiresAt.getTime() ?? 0;

    await extendAndApprove(dm, "aks-sp", 1800);
    const fresh = await waitFor(
      () =>
        t.slack
          .dmsOf("U0ALICE")
          .find((m) => m.ts !== dm.ts && m.text.includes(id) && textOf(m).includes("new credentials")),
      "the DM with the new secret",
    );
    const newSecret = secretIn(fresh);
    expect(newSecret).not.toBe(oldSecret);
    expect((await t.store.grants.get(id))?.expiresAt.getTime()).toBe(oldEnd + 1800_000);
    // The new DM's ts is stored after Slack answered the post: wait for that write, not only the post.
    await waitFor(async () => (await t.store.grants.get(id))?.dmTs === fresh.ts, "the new DM's ts in the store");
    // The old DM keeps its steps but not the secret.
    const old = t.slack.dmsOf("U0ALICE").find((m) => m.ts === dm.ts);
    expect(old?.edited).toBe(true);
    expect(textOf(old ?? dm)).not.toContain(oldSecret);
    // Neither secret reaches the database or the logs.
    expect(await databaseHolds(t.store, t.location, newSecret)).toBe(false);
    expect(t.logs.join("\n")).not.toContain(newSecret);

    await tick(t, oldEnd - t.clock.now().getTime() + MINUTE, 10 * MINUTE);
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    expect(await signIn(tokens, TENANT_ID, appId, newSecret)).toEqual({ ok: true });
    expect(await signIn(tokens, TENANT_ID, appId, oldSecret)).toMatchObject({ ok: false, status: 401 });
    await tick(t, 30 * MINUTE, 10 * MINUTE);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "expired", "the expiry");
    expect(await signIn(tokens, TENANT_ID, appId, newSecret)).toMatchObject({ ok: false });
  });

  it("the fake PIM ends a membership at the assignment's expiration by itself, as Entra does", async () => {
    const provider = entra.provider("entra-pim-group");
    const request = entra.newRequest("aks-pim");
    const bob = [...entra.graph.directory.users.values()].find((u) => u.userPrincipalName === request.subject.email);
    const at = t.clock.now().getTime();
    await provider.grant({ ...request, startsAt: new Date(at), expiresAt: new Date(at + 3600_000) });
    expect(entra.graph.directory.isMember(entra.groupId, bob?.id ?? "")).toBe(true);
    entra.graph.directory.now = () => at + 3600_000;
    expect(entra.graph.directory.isMember(entra.groupId, bob?.id ?? "")).toBe(false);
    entra.graph.directory.now = () => t.clock.now().getTime();
  });

  it("the fake refuses a secret past its endDateTime with AADSTS7000222, as Entra does", async () => {
    const { id, dm } = await requestAndApprove(t, "aks-sp", 3600);
    const appId = String((await t.store.grants.get(id))?.state.appId);
    const app = [...entra.graph.directory.applications.values()].find((a) => a.appId === appId);
    const password = app?.passwords[0];
    if (!password) throw new Error("no password");
    // Jitbot's own revoke is not what refuses it: the end date alone does.
    password.endDateTime = new Date(t.clock.now().getTime() - 1).toISOString();
    expect(await signIn(tokens, TENANT_ID, appId, secretIn(dm))).toEqual({ ok: false, status: 401, code: 7000222 });
  });
});
