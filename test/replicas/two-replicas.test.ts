/**
 * Two replicas of the bot in one process, on one PostgreSQL schema, sharing one Slack and one
 * clock (issue 14): what one replica starts, the other finishes, and racing clicks on the two get
 * one outcome. The multi-process version with SIGKILL is chaos.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { activeGrant, clockAt, FakeProvider, fileRequest, Gate, registryWith } from "../expiry/support.js";
import { examplePolicy, PEOPLE, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";

const open: { bots: TestBot[]; slack: FakeSlackWebApi }[] = [];
afterEach(async () => {
  for (const { bots, slack } of open.splice(0)) {
    for (const bot of bots) await bot.close();
    await slack.close();
  }
});

async function twoReplicas(provider = new FakeProvider("entra-group")) {
  const slack = new FakeSlackWebApi(PEOPLE);
  const apiUrl = await slack.listen();
  const shared = {
    location: freshSchemaUrl(),
    clock: clockAt(),
    policy: examplePolicy(),
    providers: registryWith(provider),
    slack: { api: slack, apiUrl },
  };
  const bots: TestBot[] = [];
  open.push({ bots, slack });
  bots.push(await startTestBot({ ...shared, replicaId: "replica-a" }));
  bots.push(await startTestBot({ ...shared, replicaId: "replica-b" }));
  const [a, b] = bots;
  if (!a || !b) throw new Error("two replicas");
  return { a, b, slack, clock: shared.clock, provider };
}

/** Moves the shared clock a second at a time, letting both replicas' work (and NOTIFY) land. */
async function tickBoth(a: TestBot, b: TestBot, totalMs: number): Promise<void> {
  for (let done = 0; done < totalMs; done += 1_000) {
    await a.clock.advance(1_000);
    await Promise.all([a.settle(), b.settle()]);
    // A round trip on each store: the LISTEN connections have had their turn.
    await Promise.all([a.store.databaseTime(), b.store.databaseTime()]);
  }
}

describe.runIf(testDatabaseUrl())("two replicas on one PostgreSQL", () => {
  it("revokes on time on the other replica when the one that granted has stopped", async () => {
    const { a, b, provider } = await twoReplicas();
    const { id } = await activeGrant(a, "aks-prod-sre", 3600);
    await a.close();
    // B learned of the grant from A's NOTIFY and armed its timer for it.
    await b.clock.advance(3_600_000 - 10_000);
    await tickBoth(b, b, 5_000);
    expect(provider.revoked.get(id) ?? 0).toBe(0);
    await tickBoth(b, b, 6_000);
    await waitFor(async () => (await b.store.requests.mustGet(id)).status === "expired", "B revokes it");
    expect(provider.revoked.get(id)).toBe(1);
    const grant = await b.store.grants.get(id);
    expect((grant?.endedAt?.getTime() ?? 0) - (grant?.expiresAt.getTime() ?? 0)).toBeLessThanOrEqual(1_000);
  }, 120_000);

  it("gets one outcome when two approvers click Approve and Deny on two replicas at the same moment", async () => {
    const { a, b, provider } = await twoReplicas();
    const { id, approval } = await fileRequest(a, "aks-prod-sre", 3600);
    const [approve, deny] = await Promise.all([
      a.driver.click("U0LEAD", approval, "jit_approve"),
      b.driver.click("U0OMAR", approval, "jit_deny"),
    ]);
    expect([approve.status, deny.status]).toEqual([200, 200]);
    const settled = ["active", "denied"];
    await waitFor(async () => settled.includes((await a.store.requests.mustGet(id)).status), "the outcome");
    await Promise.all([a.settle(), b.settle()]);
    const request = await a.store.requests.mustGet(id);
    const decisions = await a.store.requests.approvals(id);
    expect(decisions).toHaveLength(1);
    expect(request.status).toBe(decisions[0]?.decision === "approve" ? "active" : "denied");
    expect(provider.grantCalls.get(id) ?? 0).toBe(decisions[0]?.decision === "approve" ? 1 : 0);
  });

  it("rolls back a grant a stopped replica left in flight, once its lease lapsed, on the live replica", async () => {
    const provider = new FakeProvider("entra-group");
    const { a, b, slack } = await twoReplicas(provider);
    const gate = new Gate();
    provider.grantGate = gate;
    const { id, approval } = await fileRequest(a, "aks-prod-sre", 3600);
    await a.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(() => gate.entered === 1, "A's provider call in flight");
    // A stops beating (as if killed): its store closes under the call, so its lease is never renewed.
    await a.store.close();
    expect((await b.store.grants.get(id))?.status).toBe("granting");
    // Within the lease B leaves it alone; once it lapsed, B's heartbeat takes it over and rolls back.
    await tickBoth(b, b, 30_000);
    expect((await b.store.grants.get(id))?.status).toBe("granting");
    await tickBoth(b, b, 45_000);
    await waitFor(async () => (await b.store.requests.mustGet(id)).status === "failed", "B rolls it back");
    expect(slack.dmsOf("U0ALICE").some((m) => m.text.includes(id) && /rolled back/.test(m.text))).toBe(true);
    gate.open();
  }, 120_000);

  it("tells the requester of a failed grant whose DM was lost, once, on a heartbeat", async () => {
    const provider = new FakeProvider("entra-group");
    provider.grantFailure = () => new Error("Graph said no");
    const { b, slack } = await twoReplicas(provider);
    const { id, approval } = await fileRequest(b, "aks-prod-sre", 3600);
    const told = () => slack.dmsOf("U0ALICE").filter((m) => m.text.includes(id) && /fail/i.test(m.text));
    // Slack loses the failure's DM (as if its replica stopped before sending it).
    slack.failNext("chat.postMessage", {
      error: "internal_error",
      matches: (args) => args.channel === "U0ALICE" && /fail/i.test(String(args.text)),
    });
    await b.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(async () => (await b.store.requests.mustGet(id)).status === "failed", "the failed grant");
    await b.settle();
    expect(told()).toEqual([]);
    // The replica that failed it still holds the DM's claim: nobody doubles a post that may be slow.
    await tickBoth(b, b, 45_000);
    expect(told()).toEqual([]);
    // Past DM_CLAIM_STALE_MS with no DM recorded, a heartbeat takes the claim over and tells.
    await tickBoth(b, b, 90_000);
    await waitFor(() => told().length === 1, "the failure told on a heartbeat");
    // Recorded just after Slack answers the post.
    await waitFor(async () => (await b.store.grants.get(id))?.dmTs === told()[0]?.ts, "the DM recorded");
    await tickBoth(b, b, 45_000);
    expect(told()).toHaveLength(1);
  }, 120_000);

  it("grants an approval whose replica stopped before the grant started", async () => {
    const { a, b, provider, clock } = await twoReplicas();
    const { id } = await fileRequest(a, "aks-prod-sre", 3600);
    // Approved in the store (as A's click did) but A stopped before its grant started.
    await a.close();
    await b.store.requests.decide({ id, approverId: "U0LEAD", decision: "approve", at: clock.now(), required: 1 });
    expect(await b.store.grants.get(id)).toBeUndefined();
    await tickBoth(b, b, 45_000);
    await waitFor(async () => (await b.store.requests.mustGet(id)).status === "active", "B grants it");
    expect(provider.grantCalls.get(id)).toBe(1);
  }, 120_000);

  it("links into the audit chain the events a replica committed and stopped before linking", async () => {
    const { a, b, clock } = await twoReplicas();
    const { id } = await fileRequest(a, "aks-prod-sre", 3600);
    const linked = await a.store.verifyAudit();
    // What A leaves when it stops between its commit and its link pass.
    await a.store.kysely
      .insertInto("audit_pending")
      .values({
        at: clock.now().getTime(),
        actor: "U0LEAD",
        action: "request.approval_recorded",
        request_id: id,
        detail: "{}",
      })
      .execute();
    await a.close();
    await tickBoth(b, b, 11_000);
    // Read raw: auditTrail would link what is queued itself.
    const linkedRows = async () =>
      (await b.store.kysely.selectFrom("audit_events").select("seq").where("request_id", "=", id).execute()).length;
    await waitFor(async () => (await linkedRows()) === 2, "B links it on its heartbeat");
    expect(await b.store.verifyAudit()).toMatchObject({ ok: true, events: (linked.events ?? 0) + 1 });
  }, 120_000);
});
