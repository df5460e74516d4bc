import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../../src/store/index.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { clockAt, FakeProvider, Gate, registryWith } from "./support.js";

const open: TestBot[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
});

/** Active grants straight through the store's guarded transitions (no Slack round trips). */
async function seed(t: TestBot, count: number, expiresAt: Date): Promise<string[]> {
  const ids: string[] = [];
  const at = t.clock.now();
  for (let i = 0; i < count; i++) {
    const id = `JR-S${String(i).padStart(5, "0")}`;
    await t.store.requests.insert({
      id,
      profileId: "aks-prod-sre",
      requesterId: "U0ALICE",
      requesterName: "Alice Requester",
      requesterEmail: "alice@contoso.com",
      durationSeconds: 600,
      justification: "overlapping sweeps",
      ticket: undefined,
      extendsRequestId: undefined,
      createdAt: at,
    });
    await t.store.requests.transition({ id, from: "pending", event: "approve", at, actor: "U0LEAD" });
    await t.store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
    await t.store.grants.activate({ requestId: id, state: { userId: `u${i}` }, at, expiresAt });
    ids.push(id);
  }
  return ids;
}

describe("sweeps that overlap", () => {
  it("timer, cron sweep and /jit revoke at the same moment revoke each grant exactly once", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await startTestBot({ clock: clockAt(), providers: registryWith(fake), engine: { concurrency: 4 } });
    open.push(t);
    const ids = await seed(t, 40, new Date(t.clock.now().getTime() + 60_000));
    await t.bot.scheduler.rearm();
    fake.revokeGate = new Gate();
    await t.clock.advance(60_000);
    const cron = t.bot.scheduler.run("sweep");
    const early = t.bot.engine.endEarly(ids[39] ?? "", "U0ALICE");
    const again = t.bot.scheduler.run("sweep");
    fake.revokeGate.open();
    await Promise.all([cron, early, again]);
    await t.settle();
    for (const id of ids) expect(fake.revoked.get(id), id).toBe(1);
    const ended = t.store.db.prepare("SELECT COUNT(*) AS n FROM grants WHERE status = 'ended'").get() as { n: number };
    expect(ended.n).toBe(40);
  });
});

describe("the queries the sweep depends on stay indexed", () => {
  const plans = [
    {
      what: "a page of due grants",
      sql: `SELECT rowid AS cursor_rowid, * FROM grants WHERE status = 'active' AND due_at <= ?
            AND (due_at, rowid) > (?, ?) ORDER BY due_at, rowid LIMIT ?`,
      args: [1, 0, 0, 500],
    },
    { what: "the earliest due time", sql: "SELECT MIN(due_at) AS at FROM grants WHERE status = 'active'", args: [] },
  ];
  for (const { what, sql, args } of plans) {
    it(`${what} searches the partial index and sorts nothing`, async () => {
      const store = await Store.open(":memory:");
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[])
        .map((row) => row.detail)
        .join("\n");
      expect(plan).toContain("grants_due");
      expect(plan).not.toContain("TEMP B-TREE");
      expect(plan).not.toMatch(/SCAN grants\b/);
      await store.close();
    });
  }
});
