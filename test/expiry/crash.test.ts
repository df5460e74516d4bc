import { afterEach, describe, expect, it } from "vitest";
import { SimulatedCrash } from "../../src/grants/engine.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import {
  activeGrant,
  auditActions,
  clockAt,
  FakeProvider,
  fileRequest,
  Gate,
  registryWith,
  sharedDbFile,
  tick,
  unavailable,
} from "./support.js";

const open: TestBot[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** One process of the bot on a database file that survives it, as a Pod on its PVC. */
function processes(fake: FakeProvider) {
  const db = sharedDbFile();
  cleanups.push(db.cleanup);
  const clock = clockAt();
  return {
    clock,
    async start(crash?: "grant" | "revoke"): Promise<TestBot> {
      const t = await startTestBot({
        clock,
        location: db.file,
        providers: registryWith(fake),
        engine: crash
          ? {
              crashAfterProviderCall: (verb) => {
                if (verb === crash) throw new SimulatedCrash(`killed after the provider ${verb}`);
              },
            }
          : undefined,
      });
      open.push(t);
      return t;
    },
    /** SIGKILL: the process is gone; whatever it was awaiting never comes back. */
    async kill(t: TestBot): Promise<void> {
      open.splice(open.indexOf(t), 1);
      await t.close();
    },
  };
}

describe("killed in the middle of a grant", () => {
  const cases = [
    { when: "after the provider granted, before the store recorded it", crash: "grant" as const, gate: false },
    { when: "while the provider call was still running", crash: undefined, gate: true },
  ];
  for (const { when, crash, gate } of cases) {
    it(`rolls back at start-up a grant killed ${when}, and tells the requester`, async () => {
      const fake = new FakeProvider("entra-group");
      if (gate) fake.grantGate = new Gate();
      const life = processes(fake);
      const first = await life.start(crash);
      const { id, approval } = await fileRequest(first, "aks-prod-sre", 3600);
      await first.driver.click("U0LEAD", approval, "jit_approve");
      await waitFor(() => fake.grantCalls.get(id), "the provider grant call");
      // The durable record came first: the store knows a grant was in flight.
      expect((await first.store.grants.get(id))?.status).toBe("granting");
      expect((await first.store.requests.mustGet(id)).status).toBe("approved");
      await life.kill(first);

      fake.grantGate = undefined;
      const second = await life.start();
      expect(fake.revoked.get(id)).toBe(1);
      expect((await second.store.requests.mustGet(id)).status).toBe("failed");
      expect((await second.store.grants.get(id))?.status).toBe("failed");
      await waitFor(
        () =>
          second.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && m.text.includes("restarted while granting")),
        "the requester to be told",
      );
      expect(fake.grantCalls.get(id)).toBe(1);
    });
  }
});

describe("killed in the middle of a grant, and the provider is down at restart", () => {
  it("keeps retrying the roll-back (never forgets a grant the cloud may hold) until the provider confirms", async () => {
    const fake = new FakeProvider("entra-group");
    const life = processes(fake);
    const first = await life.start("grant");
    const { id, approval } = await fileRequest(first, "aks-prod-sre", 3600);
    await first.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(() => fake.grantCalls.get(id), "the provider grant call");
    await first.settle();
    await life.kill(first);

    fake.revokeFailure = unavailable;
    const second = await life.start();
    const pending = await second.store.grants.get(id);
    expect(pending).toMatchObject({ status: "active", endReason: "revoked", state: { rollback: true } });
    expect(pending?.revokeAttempts).toBeGreaterThanOrEqual(1);
    await waitFor(
      () => second.slack.messagesIn("C0APPROVALS").find((m) => m.text.startsWith(`Could not revoke ${id}`)),
      "the channel alert",
    );

    fake.revokeFailure = () => undefined;
    await tick(second, 60_000, 1_000);
    expect((await second.store.grants.get(id))?.status).toBe("ended");
    // The person never had this access: the request failed at once, only the roll-back went on.
    expect((await second.store.requests.mustGet(id)).status).toBe("failed");
    expect(fake.revoked.get(id)).toBe(1);
  });
});

describe("killed in the middle of a revoke", () => {
  it("after the provider revoked but before the store ended it: revokes again (idempotent) and ends it once", async () => {
    const fake = new FakeProvider("entra-group");
    const life = processes(fake);
    const first = await life.start("revoke");
    const { id } = await activeGrant(first, "aks-prod-sre", 3600);
    await first.clock.advance(3600_000);
    await waitFor(() => fake.revoked.get(id), "the provider revoke");
    await first.settle();
    expect(fake.revoked.get(id)).toBe(1);
    expect((await first.store.grants.get(id))?.status).toBe("active");
    await life.kill(first);

    const second = await life.start();
    expect(fake.revoked.get(id)).toBe(2);
    expect((await second.store.requests.mustGet(id)).status).toBe("expired");
    expect((await auditActions(second, id)).filter((a) => a === "request.expired")).toHaveLength(1);
    await tick(second, 120_000, 60_000);
    await second.bot.scheduler.run("sweep");
    expect(fake.revoked.get(id)).toBe(2);
    await waitFor(() => second.slack.dmsOf("U0ALICE").some((m) => m.text.includes("has expired")), "the expired DM");
    expect(
      second.slack.dmsOf("U0ALICE").filter((m) => m.text.includes(`${id}`) && m.text.includes("has expired")),
    ).toHaveLength(1);
  });

  it("marks nothing ended while the provider has not confirmed; a kill then leaves it for the next start", async () => {
    const fake = new FakeProvider("entra-group");
    const life = processes(fake);
    const first = await life.start();
    const { id } = await activeGrant(first, "aks-prod-sre", 3600);
    fake.revokeGate = new Gate();
    await first.clock.advance(3600_000);
    await waitFor(() => fake.revokeGate?.entered, "the revoke call");
    expect((await first.store.grants.get(id))?.status).toBe("active");
    expect((await first.store.requests.mustGet(id)).status).toBe("active");
    await life.kill(first);

    fake.revokeGate = undefined;
    const second = await life.start();
    expect((await second.store.requests.mustGet(id)).status).toBe("expired");
    expect(fake.revoked.get(id)).toBe(1);
  });
});
