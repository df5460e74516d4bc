/**
 * Whether a grant's end was told (schema 12): the ends a heartbeat still owes someone, the claim
 * that keeps two replicas from telling one twice, and the upgrade that marks every earlier end told.
 */
import { CompiledQuery, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { DM_CLAIM_STALE_MS, endedClaim } from "../../src/grants/lease.js";
import { untoldEndsQuery } from "../../src/store/grant-reads.js";
import { Store } from "../../src/store/index.js";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import { engines } from "../support/postgres.js";
import { insertRequest } from "../support/store-rows.js";

const ENGINES = engines();
const at = new Date("2026-03-02T10:00:00Z");
const minutes = (n: number) => new Date(at.getTime() + n * 60_000);

async function grantActive(store: Store, id: string): Promise<void> {
  const expiresAt = minutes(600);
  await insertRequest(store, id, at);
  await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
  await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
  await store.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
}

async function grantEnded(store: Store, id: string, endedAt: Date): Promise<void> {
  await grantActive(store, id);
  expect(
    await store.grants.end({ requestId: id, reason: "revoked", at: endedAt, actor: "jitbot", detail: "gone" }),
  ).toBeTruthy();
}

const ids = (grants: { requestId: string }[]) => grants.map((g) => g.requestId);

describe.each(ENGINES)("ends not yet told ($name)", (engine) => {
  it("lists ended grants never told within the window, oldest end first, until each is marked told", async () => {
    const store = await engine.open();
    await grantEnded(store, "JR-E0", minutes(1));
    await grantEnded(store, "JR-E1", minutes(10));
    await grantEnded(store, "JR-E3", minutes(12));
    await grantEnded(store, "JR-E2", minutes(11));
    await grantActive(store, "JR-A1");
    const window = { since: minutes(5), until: minutes(20) };
    const now = minutes(20);
    // JR-E0 ended before the window; the active grant has not ended.
    expect(ids(await store.grants.untoldEnds(window, now, 10))).toEqual(["JR-E1", "JR-E2", "JR-E3"]);
    expect(ids(await store.grants.untoldEnds(window, now, 2))).toEqual(["JR-E1", "JR-E2"]);
    // An end that happened after `until` is too fresh: its own replica is still telling it.
    expect(ids(await store.grants.untoldEnds({ since: minutes(5), until: minutes(11) }, now, 10))).toEqual([
      "JR-E1",
      "JR-E2",
    ]);
    await store.grants.markEndTold("JR-E2", now);
    expect(ids(await store.grants.untoldEnds(window, now, 10))).toEqual(["JR-E1", "JR-E3"]);
    // Only an ended grant is marked: an active one still owes its end.
    await store.grants.markEndTold("JR-A1", now);
    await store.grants.end({ requestId: "JR-A1", reason: "expired", at: minutes(13), actor: "jitbot", detail: "x" });
    expect(ids(await store.grants.untoldEnds(window, now, 10))).toEqual(["JR-E1", "JR-E3", "JR-A1"]);
    await store.close();
  });

  it("leaves out an end whose notice a replica claimed until that claim is stale, and lets one replica take it over", async () => {
    const store = await engine.open();
    await grantEnded(store, "JR-C1", minutes(10));
    await grantEnded(store, "JR-C2", minutes(11));
    const window = { since: minutes(0), until: minutes(20) };
    const claimedAt = minutes(12);
    expect(await store.claimMessage(endedClaim("JR-C1"), claimedAt, DM_CLAIM_STALE_MS)).toBe(true);
    // Another replica may not tell it while the claim is fresh: the first may still be sending.
    expect(await store.claimMessage(endedClaim("JR-C1"), minutes(13), DM_CLAIM_STALE_MS)).toBe(false);
    const staleBy = (now: Date) => new Date(now.getTime() - DM_CLAIM_STALE_MS);
    expect(ids(await store.grants.untoldEnds(window, staleBy(minutes(13)), 10))).toEqual(["JR-C2"]);
    // Stale: listed again, and exactly one of two replicas takes it over.
    const later = new Date(claimedAt.getTime() + DM_CLAIM_STALE_MS + 1);
    expect(ids(await store.grants.untoldEnds(window, staleBy(later), 10))).toEqual(["JR-C1", "JR-C2"]);
    const takeovers = await Promise.all([
      store.claimMessage(endedClaim("JR-C1"), later, DM_CLAIM_STALE_MS),
      store.claimMessage(endedClaim("JR-C1"), later, DM_CLAIM_STALE_MS),
    ]);
    expect(takeovers.filter(Boolean)).toHaveLength(1);
    expect(ids(await store.grants.untoldEnds(window, staleBy(later), 10))).toEqual(["JR-C2"]);
    // The grant's own DM claim is another key: it neither hides nor frees the end's.
    expect(await store.claimMessage(`dm:JR-C2`, later, DM_CLAIM_STALE_MS)).toBe(true);
    expect(ids(await store.grants.untoldEnds(window, staleBy(later), 10))).toEqual(["JR-C2"]);
    await store.close();
  });

  it("marks every grant ended before version 12 told when it upgrades, so nobody hears of an old end again", async () => {
    const location = engine.location();
    const store = await Store.open(location);
    await grantEnded(store, "JR-OLD1", minutes(10));
    await grantActive(store, "JR-OLD2");
    // As version 11 left it: no column, no index.
    await sql`DROP INDEX grants_end_untold`.execute(store.kysely);
    await sql`ALTER TABLE grants DROP COLUMN ended_told_at`.execute(store.kysely);
    if (engine.name === "sqlite") await sql`PRAGMA user_version = 11`.execute(store.kysely);
    else await sql`UPDATE jitbot_schema SET version = 11`.execute(store.kysely);
    await store.close();
    const upgraded = await Store.open(location);
    const told = await upgraded.kysely
      .selectFrom("grants")
      .select(["request_id", "ended_at", "ended_told_at"])
      .orderBy("request_id")
      .execute();
    expect(told.map((row) => [row.request_id, row.ended_told_at === null ? null : Number(row.ended_told_at)])).toEqual([
      ["JR-OLD1", minutes(10).getTime()],
      ["JR-OLD2", null],
    ]);
    expect(await upgraded.grants.untoldEnds({ since: at, until: minutes(60) }, minutes(60), 10)).toEqual([]);
    // Ended after the upgrade: owed.
    await upgraded.grants.end({
      requestId: "JR-OLD2",
      reason: "expired",
      at: minutes(20),
      actor: "jitbot",
      detail: "x",
    });
    expect(ids(await upgraded.grants.untoldEnds({ since: at, until: minutes(60) }, minutes(60), 10))).toEqual([
      "JR-OLD2",
    ]);
    expect(SCHEMA_VERSION).toBe(12);
    await upgraded.close();
  });
});

/**
 * SQLite's plan (EXPLAIN QUERY PLAN on an in-memory store); PostgreSQL's planner chooses by the
 * table's statistics, which a test's near-empty table does not have (see test/expiry/sweep.test.ts).
 */
describe("the heartbeat's query for untold ends stays indexed", () => {
  it("searches the partial index by end time, sorts nothing, and finds each claim by its key", async () => {
    const store = await Store.open(":memory:");
    try {
      const compiled = untoldEndsQuery(store.kysely, { since: at, until: minutes(1) }, at, 100).compile();
      const explained = await store.kysely.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]),
      );
      const plan = explained.rows.map((row) => row.detail).join("\n");
      expect(plan).toContain("grants_end_untold (ended_at>? AND ended_at<?)");
      expect(plan).toMatch(/SEARCH claim USING INDEX sqlite_autoindex_slack_deliveries_1 \(id=\?\)/);
      expect(plan).not.toContain("TEMP B-TREE");
      expect(plan).not.toMatch(/SCAN grants\b/);
    } finally {
      await store.close();
    }
  });
});
