import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { type EntraFixture, startEntraFixture } from "../entra/harness.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { databaseHolds } from "../support/store-rows.js";
import { requestAndApprove } from "./helpers.js";

let entra: EntraFixture;
let t: TestBot;
let aliceId = "";

beforeAll(async () => {
  entra = await startEntraFixture({ namespace: "sre" });
  aliceId = entra.graph.directory.addUser({ userPrincipalName: "alice@contoso.com", mail: "alice@contoso.com" }).id;
  const providers = new Map<GrantType, GrantProvider>(entra.providers.map((p) => [p.type, p]));
  t = await startTestBot({ policy: entra.policy, providers });
});
afterAll(async () => {
  await t.close();
  await entra.close();
});

describe("Slack → approve → Entra → DM, with the real Graph SDK", () => {
  it("entra-group: adds Alice to the group, DMs the AKS steps, removes her on revoke", async () => {
    const { id, dm } = await requestAndApprove(t, "aks-group", 3600);
    expect(entra.graph.directory.isMember(entra.groupId, aliceId)).toBe(true);
    const text = textOf(dm);
    expect(text).toContain("az aks get-credentials --resource-group rg-prod --name prod-aks");
    expect(text).toContain("kubelogin convert-kubeconfig -l azurecli");
    expect(text).toContain("--namespace sre");
    expect(text).toMatch(/60.90 min/);
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    expect(entra.graph.directory.isMember(entra.groupId, aliceId)).toBe(false);
  });

  it("entra-pim-group: creates a PIM assignment that ends by itself, removes it on revoke", async () => {
    const { id } = await requestAndApprove(t, "aks-pim", 7200);
    const assignments = [...entra.graph.directory.pimAssignments.values()];
    expect(assignments.some((a) => JSON.stringify(a).includes(aliceId))).toBe(true);
    expect(JSON.stringify(entra.graph.calls)).toContain("PT2H");
    expect((await t.store.grants.get(id))?.providerExpiresAt).toBeDefined();
    // PIM will not remove an assignment in its first five minutes (groups-assign-member-owner.md).
    entra.clock.advance(5 * 60_000);
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    expect(JSON.stringify(entra.graph.calls)).toContain("adminRemove");
  });

  it("entra-service-principal: DMs a one-time secret that never reaches the database, deletes the app on expiry", async () => {
    const { id, dm } = await requestAndApprove(t, "aks-sp", 3600);
    // `--password='<secret>'`: joined to the flag, so a secret starting with "-" is not an option.
    const secret = /--password='([^'\s]+)'/.exec(textOf(dm).replace(/\\n/g, "\n"))?.[1];
    expect(secret && secret.length > 10).toBe(true);
    expect(textOf(dm)).toContain("az login --service-principal");
    const apps = [...entra.graph.directory.applications.values()];
    expect(apps.length).toBeGreaterThan(0);
    expect(await databaseHolds(t.store, t.location, secret ?? "unused")).toBe(false);
    expect(t.logs.join("\n")).not.toContain(secret ?? "unused");
    // Expiry, with the injected clock: the app is deleted and the DM loses the secret.
    await t.clock.advance(3600_000 + 1_000);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "expired", "the expiry");
    expect(entra.graph.directory.applications.size).toBe(apps.length - 1);
    // The DM is edited after the request is marked expired: wait for the edit, not only the status.
    const redacted = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.ts === dm.ts && m.edited),
      "the DM without the secret",
    );
    expect(textOf(redacted)).not.toContain(secret ?? "unused");
  });
});
