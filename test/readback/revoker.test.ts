/**
 * Proof, not trust: after every revoke the bot reads the access back from the (fake) cloud. A
 * removal that shows within the replication wait ends the grant `verified`; one that never shows, or
 * a read-back that cannot run, keeps the grant due, retried and announced like a failed revoke.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { type EntraFixture, startEntraFixture } from "../entra/harness.js";
import { sample } from "../observability/helpers.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { fileRequest, requestAndApprove } from "../support/flow.js";
import { auditOf, driveClock } from "./support.js";

let entra: EntraFixture;
let t: TestBot;
let aliceId = "";

beforeEach(async () => {
  entra = await startEntraFixture({ replicationDelayMs: 0 }); // removal lag is what these tests vary
  aliceId = entra.graph.directory.addUser({ userPrincipalName: "alice@contoso.com", mail: "alice@contoso.com" }).id;
  const clock = new ManualClock(new Date());
  entra.graph.directory.now = () => clock.now().getTime();
  const providers = new Map<GrantType, GrantProvider>(entra.providers.map((p) => [p.type, p]));
  t = await startTestBot({ policy: entra.policy, providers, clock });
});
afterEach(async () => {
  await t.close();
  await entra.close();
});

const metricsText = () => t.bot.metrics.registry.metrics();
const revocations = async (type: string, verified: boolean) =>
  sample(await metricsText(), "jitbot_revocations_total", { provider: type, verified: String(verified) }) ?? Number.NaN;
const alerts = () => t.slack.messagesIn("C0APPROVALS").filter((m) => m.text.startsWith("Could not revoke"));
const ended = async (id: string) =>
  (await auditOf(t.store, id)).find((r) => r.action === "request.revoked" || r.action === "request.expired");

describe("read-back after a revoke", () => {
  it("a removal that replicates within the wait ends the grant verified, after reading it again through the clock", async () => {
    entra.graph.directory.removalLag = 3_000;
    const { id } = await requestAndApprove(t, "aks-group", 3600);
    const reads = () => entra.graph.calls.filter((c) => c.method === "GET" && c.path.endsWith("/members")).length;
    const before = reads();
    await driveClock(t.clock, t.bot.engine.endEarly(id, "U0ALICE"));
    expect((await t.store.requests.mustGet(id)).status).toBe("revoked");
    expect(entra.graph.directory.isMember(entra.groupId, aliceId)).toBe(false);
    expect(reads() - before).toBeGreaterThanOrEqual(2);
    expect((await ended(id))?.detail).toMatchObject({
      verified: true,
      readBack: expect.stringContaining("no longer a direct member"),
    });
    expect(await revocations("entra-group", true)).toBe(1);
    expect(await revocations("entra-group", false)).toBe(0);
    expect(alerts()).toHaveLength(0);
  });

  it("a delete the cloud acknowledged but never applied keeps the grant active, retried and announced, until it shows", async () => {
    entra.graph.directory.removalLag = "never";
    const { id } = await requestAndApprove(t, "aks-group", 3600);
    await driveClock(t.clock, t.bot.engine.endEarly(id, "U0ALICE"));

    const grant = await t.store.grants.get(id);
    expect(grant?.status).toBe("active");
    expect(grant?.lastError).toMatch(/still shows the access after jitbot removed it \(.*is a direct member/);
    expect(await ended(id)).toBeUndefined();
    expect(alerts()).toHaveLength(1);
    expect(JSON.stringify(alerts()[0]?.blocks)).toContain("still shows the access");
    expect(await revocations("entra-group", false)).toBe(1);

    // The tenant behaves again: the next retry (backoff ≤ 10 s) removes and proves it.
    entra.graph.directory.removalLag = 0;
    await driveClock(
      t.clock,
      (async () => {
        await t.clock.advance(15_000);
        return t.bot.engine.sweep();
      })(),
    );
    expect((await t.store.requests.mustGet(id)).status).toBe("revoked");
    expect((await ended(id))?.detail).toMatchObject({ verified: true });
    expect(await revocations("entra-group", true)).toBe(1);
  });

  it("a read-back that cannot run counts as unverified and is retried, but never puts the access back", async () => {
    const { id } = await requestAndApprove(t, "aks-group", 3600);
    entra.graph.forbidNext(/^GET \/groups\/[^/]+\/members$/);
    await driveClock(t.clock, t.bot.engine.endEarly(id, "U0ALICE"));

    expect((await t.store.grants.get(id))?.status).toBe("active");
    expect((await t.store.grants.get(id))?.lastError).toContain("GroupMember.Read.All");
    expect(entra.graph.directory.isMember(entra.groupId, aliceId)).toBe(false);
    expect(entra.graph.writes().filter((w) => w.startsWith("POST /groups/"))).toHaveLength(1);
    expect(await revocations("entra-group", false)).toBe(1);
    expect(alerts()).toHaveLength(1);

    await driveClock(
      t.clock,
      (async () => {
        await t.clock.advance(15_000);
        return t.bot.engine.sweep();
      })(),
    );
    expect((await t.store.requests.mustGet(id)).status).toBe("revoked");
    expect((await ended(id))?.detail).toMatchObject({ verified: true });
  });

  it("the provider's own expiry does not settle a revoke whose read-back still shows the access", async () => {
    entra.graph.directory.removalLag = "never";
    const { id } = await requestAndApprove(t, "aks-sp", 3600);
    expect((await t.store.grants.get(id))?.providerExpiresAt).toBeDefined();
    await driveClock(
      t.clock,
      (async () => {
        await t.clock.advance(3_600_000);
        await t.bot.engine.sweep();
        return t.bot.engine.idle();
      })(),
    );
    expect((await t.store.grants.get(id))?.status).toBe("active");
    expect((await t.store.grants.get(id))?.lastError).toContain("temporary application");
    expect(await revocations("entra-service-principal", false)).toBeGreaterThanOrEqual(1);
  });
});

describe("read-back after the roll-back of a failed grant", () => {
  it("a roll-back the cloud does not show stays pending and is retried by the revoker, which proves it later", async () => {
    entra.graph.directory.removalLag = "never";
    // The service principal cannot join the group: the grant fails after creating the application.
    entra.graph.forbidNext(/^POST \/groups\/[^/]+\/members\/\$ref$/);
    const { id, approval } = await fileRequest(t, "aks-sp", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await driveClock(
      t.clock,
      waitFor(async () => (await t.store.requests.mustGet(id)).status === "failed", "the failed grant"),
    );
    await driveClock(t.clock, t.bot.engine.idle());
    expect(entra.graph.directory.applications.size).toBe(1);
    // Not confirmed: the grant row holds the roll-back, due, for the revoker.
    expect(await t.store.grants.get(id)).toMatchObject({ status: "active", state: { rollback: true } });

    entra.graph.directory.removalLag = 0;
    await driveClock(
      t.clock,
      (async () => {
        await t.clock.advance(15_000);
        await t.bot.engine.sweep();
        return t.bot.engine.idle();
      })(),
    );
    expect(entra.graph.directory.applications.size).toBe(0);
    expect((await auditOf(t.store, id)).find((r) => r.action === "grant.rolled_back")?.detail).toMatchObject({
      verified: true,
    });
  });
});
