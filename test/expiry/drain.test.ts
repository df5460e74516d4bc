import { afterEach, describe, expect, it } from "vitest";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { activeGrant, clockAt, FakeProvider, fileRequest, Gate, registryWith, sharedDbFile } from "./support.js";

const SHUTTING_DOWN = "jitbot is restarting; please try again in a minute.";
const open: TestBot[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function bot(fake: FakeProvider, location?: string): Promise<TestBot> {
  const t = await startTestBot({ clock: clockAt(), providers: registryWith(fake), location });
  open.push(t);
  return t;
}

/** Settles to "done" or "still waiting" without sleeping: the drain promise either resolved or not. */
async function state(promise: Promise<unknown>): Promise<"done" | "waiting"> {
  const marker = Symbol("waiting");
  const winner = await Promise.race([
    promise.then(() => "done" as const),
    new Promise((r) => setImmediate(() => r(marker))),
  ]);
  return winner === marker ? "waiting" : "done";
}

describe("SIGTERM: drain", () => {
  it("stops taking requests (and says why), reports not ready, and waits for an in-flight grant", async () => {
    const fake = new FakeProvider("entra-group");
    fake.grantGate = new Gate();
    const t = await bot(fake);
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(() => fake.grantGate?.entered, "the grant to reach the provider");

    const draining = t.bot.engine.drain(10_000);
    expect(await state(draining)).toBe("waiting");
    expect((await fetch(`${t.bot.url}/readyz`)).status).toBe(503);

    const refused = t.slack.dmsOf("U0ALICE").length;
    const opened = t.slack.views.size;
    await t.driver.command("U0ALICE", "request aks-prod-dev");
    // A new modal: the one already submitted would be ignored as a replay.
    const modal = await waitFor(() => [...t.slack.views.values()][opened], "the modal");
    await t.driver.submit("U0ALICE", modal, {
      profile: "aks-prod-dev",
      duration: "3600",
      justification: "Checking the dev namespace quota",
      ticket: "",
    });
    await waitFor(
      () =>
        t.slack
          .dmsOf("U0ALICE")
          .slice(refused)
          .find((m) => m.text.includes(SHUTTING_DOWN)),
      "the refusal",
    );
    expect(await t.store.requests.listByRequester("U0ALICE", ["pending"])).toHaveLength(0);

    fake.grantGate.open();
    await draining;
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
  });

  it("is bounded: a provider that never answers does not hold the process", async () => {
    const fake = new FakeProvider("entra-group");
    fake.grantGate = new Gate();
    const t = await bot(fake);
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(() => fake.grantGate?.entered, "the grant to reach the provider");
    const started = performance.now();
    await t.bot.engine.drain(100);
    expect(performance.now() - started).toBeLessThan(2_000);
    // What was in flight stays recorded as in flight: the next start-up reconciles it.
    expect((await t.store.grants.get(id))?.status).toBe("granting");
  });

  it("waits for an in-flight revoke and starts no new one", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await bot(fake);
    const first = await activeGrant(t, "aks-prod-sre", 3600);
    const second = await activeGrant(t, "aks-prod-dev", 7200);
    fake.revokeGate = new Gate();
    await t.clock.advance(3600_000);
    await waitFor(() => fake.revokeGate?.entered, "the revoke to reach the provider");
    const draining = t.bot.engine.drain(10_000);
    expect(await state(draining)).toBe("waiting");
    fake.revokeGate.open();
    await draining;
    expect((await t.store.requests.mustGet(first.id)).status).toBe("expired");
    await t.clock.advance(3600_000);
    await t.bot.scheduler.run("sweep");
    expect((await t.store.requests.mustGet(second.id)).status).toBe("active");
  });

  it("leaves an approval clicked during the drain to the next process, which grants it at start-up", async () => {
    const db = sharedDbFile();
    cleanups.push(db.cleanup);
    const fake = new FakeProvider("entra-group");
    const t = await bot(fake, db.file);
    const { id, approval } = await fileRequest(t, "aks-prod-sre", 3600);
    await t.bot.engine.drain(1_000);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "approved", "the approval");
    await t.settle();
    expect(fake.grantCalls.get(id)).toBeUndefined();
    open.splice(open.indexOf(t), 1);
    await t.close();

    const next = await bot(fake, db.file);
    expect((await next.store.requests.mustGet(id)).status).toBe("active");
    expect(fake.grantCalls.get(id)).toBe(1);
  });
});
