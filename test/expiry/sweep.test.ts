import { type Compilable, CompiledQuery, type Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { ActiveGrant } from "../../src/grants/provider.js";
import { Store } from "../../src/store/index.js";
import type { Database } from "../../src/store/schema.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { clockAt, FakeProvider, Gate, registryWith } from "./support.js";

const open: TestBot[] = [];
const fail = (): never => {
  throw new Error("no bot");
};
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
    const ended = await t.store.kysely
      .selectFrom("grants")
      .select(({ fn }) => fn.countAll<number>().as("n"))
      .where("status", "=", "ended")
      .executeTakeFirstOrThrow();
    expect(Number(ended.n)).toBe(40);
  });

  it("leases each page from the clock as it claims it: a long sweep's later pages are never born lapsed", async () => {
    let t: TestBot | undefined;
    const lapsed: string[] = [];
    let calls = 0;
    /** The first page is slow: 90 s pass during it, longer than a lease. */
    class SlowFirstPage extends FakeProvider {
      override async revoke(grant: ActiveGrant) {
        const bot = t ?? fail();
        const row = await bot.store.kysely
          .selectFrom("grants")
          .select("lease_until")
          .where("request_id", "=", grant.requestId)
          .executeTakeFirstOrThrow();
        if ((row.lease_until ?? 0) <= bot.clock.now().getTime()) lapsed.push(grant.requestId);
        if (++calls === 50) await bot.clock.advance(90_000);
        return super.revoke(grant);
      }
    }
    const fake = new SlowFirstPage("entra-group");
    t = await startTestBot({ clock: clockAt(), providers: registryWith(fake), engine: { concurrency: 4 } });
    open.push(t);
    const ids = await seed(t, 520, new Date(t.clock.now().getTime() + 60_000));
    await t.bot.scheduler.rearm();
    await t.clock.advance(60_000);
    await t.settle();
    expect(lapsed).toEqual([]);
    for (const id of ids) expect(fake.revoked.get(id), id).toBe(1);
  }, 60_000);

  it("leaves a grant of its page to the replica that took it over after its lease lapsed", async () => {
    let t: TestBot | undefined;
    let ids: string[] = [];
    /**
     * While the first removal is in the cloud, this replica starves: its leases on the rest of the
     * page lapse unrenewed, and replica-b claims the second grant (as its sweep would) and revokes it.
     */
    class StarvedReplica extends FakeProvider {
      override async revoke(grant: ActiveGrant) {
        const bot = t ?? fail();
        if (grant.requestId === ids[0]) {
          const now = bot.clock.now().getTime();
          await bot.store.kysely
            .updateTable("grants")
            .set({ lease_owner: "replica-b", lease_until: now + 60_000 })
            .where("request_id", "=", ids[1] ?? "")
            .execute();
        }
        return super.revoke(grant);
      }
    }
    const fake = new StarvedReplica("entra-group");
    t = await startTestBot({ clock: clockAt(), providers: registryWith(fake), engine: { concurrency: 1 } });
    open.push(t);
    ids = await seed(t, 3, new Date(t.clock.now().getTime() + 60_000));
    await t.bot.scheduler.rearm();
    await t.clock.advance(60_000);
    await t.settle();
    // Only the lease holder sends a removal: one DELETE per grant, across replicas.
    expect(ids.map((id) => fake.revoked.get(id) ?? 0)).toEqual([1, 0, 1]);
    const held = await t.store.grants.get(ids[1] ?? "");
    expect(held?.status).toBe("active");
  });
});

/**
 * The plans are SQLite's (EXPLAIN QUERY PLAN on an in-memory store): PostgreSQL's planner chooses
 * by table statistics, so a plan read from a test's near-empty table would say nothing. The
 * queries are built as GrantReads.duePage and nextDueAt build them (src/store/grant-reads.ts).
 */
describe("the queries the sweep depends on stay indexed", () => {
  const cursor = { dueAt: 0, requestId: "JR-000000" };
  const plans: { what: string; seeks?: string; query: (db: Kysely<Database>) => Compilable }[] = [
    {
      what: "the first page of due grants",
      query: (db: Kysely<Database>) => duePage(db),
    },
    {
      what: "a page of due grants after the cursor (due_at, request_id)",
      // The cursor is where the index search starts, not a filter over every due grant before it.
      seeks: "(due_at,request_id)>(?,?)",
      query: (db: Kysely<Database>) =>
        duePage(db).where(({ eb, refTuple, tuple }) =>
          eb(refTuple("due_at", "request_id"), ">", tuple(cursor.dueAt, cursor.requestId)),
        ),
    },
    {
      what: "the earliest due time",
      query: (db: Kysely<Database>) =>
        db
          .selectFrom("grants")
          .select(({ fn }) => fn.min("due_at").as("at"))
          .where("status", "=", "active"),
    },
  ];
  for (const { what, query, seeks } of plans) {
    it(`${what} searches the partial index and sorts nothing`, async () => {
      const store = await Store.open(":memory:");
      try {
        const compiled = query(store.kysely).compile();
        const explained = await store.kysely.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]),
        );
        const plan = explained.rows.map((row) => row.detail).join("\n");
        expect(plan).toContain("grants_due");
        expect(plan).not.toContain("TEMP B-TREE");
        expect(plan).not.toMatch(/SCAN grants\b/);
        if (seeks) expect(plan).toContain(seeks);
      } finally {
        await store.close();
      }
    });
  }
});

function duePage(db: Kysely<Database>) {
  return db
    .selectFrom("grants")
    .selectAll()
    .where("status", "=", "active")
    .where("due_at", "<=", 1)
    .orderBy("due_at")
    .orderBy("request_id")
    .limit(500);
}
