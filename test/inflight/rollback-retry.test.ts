import { afterEach, describe, expect, it } from "vitest";
import { FakeProvider, fileRequest, Gate, tick, unavailable } from "../expiry/support.js";
import { waitFor } from "../support/bot.js";
import { auditRows, dmsMentioning, lifetimes } from "./life.js";

let life: ReturnType<typeof lifetimes> | undefined;
afterEach(async () => {
  await life?.closeAll();
  life = undefined;
});

describe("a roll-back the provider does not confirm", () => {
  it("is retried until confirmed even when the grant row was failed under it meanwhile, across a restart", async () => {
    const fake = new FakeProvider("entra-group");
    fake.grantGate = new Gate();
    fake.grantFailure = unavailable;
    fake.revokeFailure = unavailable;
    life = lifetimes(fake);
    const t = await life.start();
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(() => fake.grantGate?.entered, "the provider grant call");
    // While the call is in the cloud, the row is failed under it, as a second process's start-up
    // reconcile did (the call may still land, so the roll-back must not be forgotten).
    await t.store.grants.fail({ requestId: id, at: t.clock.now(), reason: "reconciled elsewhere" });
    fake.grantGate?.open();
    await waitFor(() => dmsMentioning(t, "U0ALICE", `Granting ${id} failed`).length, "the requester to be told");
    await t.settle();
    expect(JSON.stringify(dmsMentioning(t, "U0ALICE", `Granting ${id} failed`)[0]?.blocks)).toContain(
      "could not yet confirm",
    );
    expect(await t.store.grants.get(id)).toMatchObject({
      status: "active",
      endReason: "revoked",
      state: { rollback: true },
    });
    expect((await t.store.requests.mustGet(id)).status).toBe("failed");
    // Not access the person holds: /jit list does not show it.
    expect((await t.bot.service.myAccess("U0ALICE")).active).toEqual([]);
    await t.bot.scheduler.run("sweep");
    expect((await t.store.grants.get(id))?.revokeAttempts).toBeGreaterThan(0);
    await life.kill(t);

    fake.revokeFailure = () => undefined;
    const second = await life.start();
    await tick(second, 60_000, 5_000);
    expect((await second.store.grants.get(id))?.status).toBe("ended");
    expect((await second.store.requests.mustGet(id)).status).toBe("failed");
    expect(fake.revoked.get(id)).toBe(1);
    expect((await auditRows(second, id)).map((r) => r.action)).toEqual(
      expect.arrayContaining(["grant.rollback_pending", "grant.rolled_back"]),
    );
    await waitFor(() => dmsMentioning(second, "U0ALICE", `The roll-back of ${id}`).length, "the confirmation DM");
  });
});
