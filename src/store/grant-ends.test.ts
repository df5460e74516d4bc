import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, engines, freshSchemaUrl, testDatabaseUrl } from "../../test/support/postgres.js";
import { insertRequest } from "../../test/support/store-rows.js";
import { Store } from "./index.js";

/**
 * The end of a grant's life as the store keeps it: the leases that let one replica at a time
 * revoke (or roll back) a grant, the bookkeeping of a failed revoke, and what an end and an early
 * end write. Each case reads the rows back, lease columns included, as another replica would.
 */
const at = new Date("2026-03-02T10:00:00Z");
const expiresAt = new Date("2026-03-02T11:00:00Z");
const LEASE_MS = 30_000;
let n = 0;

describe.each(engines())("a grant's end and its leases ($name)", (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await engine.open();
  });
  afterAll(() => store.close());

  /** An approved request whose grant is being granted (the provider call is in flight). */
  async function granting(extendsRequestId?: string): Promise<string> {
    const id = `JR-E${String(n++).padStart(5, "0")}`;
    await insertRequest(store, id, at, extendsRequestId);
    await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
    await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
    return id;
  }

  /** An active grant, due at `expiresAt`. */
  async function active(extendsRequestId?: string): Promise<string> {
    const id = await granting(extendsRequestId);
    await store.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
    return id;
  }

  /** An applied extension of `root`: active, with no grant of its own. */
  async function appliedExtension(root: string): Promise<string> {
    const id = `JR-E${String(n++).padStart(5, "0")}`;
    await insertRequest(store, id, at, root);
    await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
    await store.requests.transition({ id, from: "approved", event: "activate", at, actor: "jitbot" });
    return id;
  }

  const lease = (id: string) =>
    store.kysely
      .selectFrom("grants")
      .select(["lease_owner", "lease_until", "due_at", "end_reason", "last_error", "revoke_attempts"])
      .where("request_id", "=", id)
      .executeTakeFirstOrThrow();
  const setLease = (id: string, owner: string | null, until: number | null) =>
    store.kysely
      .updateTable("grants")
      .set({ lease_owner: owner, lease_until: until })
      .where("request_id", "=", id)
      .execute();
  const auditOf = async (id: string) =>
    (await store.auditTrail(id)).map((row) => ({
      action: row.action,
      actor: row.actor,
      detail: JSON.parse(row.detail ?? "null"),
    }));
  /** The change notices `op` sends about `id` (SQLite tells on commit; PostgreSQL later, over LISTEN). */
  async function noticesOf(id: string, op: () => Promise<unknown>): Promise<string[] | undefined> {
    const kinds: string[] = [];
    const stop = store.onChange((change) => {
      if (change.requestId === id) kinds.push(change.kind);
    });
    try {
      await op();
    } finally {
      stop();
    }
    return engine.name === "sqlite" ? kinds : undefined;
  }
  const sqliteOnly = (kinds: string[]) => (engine.name === "sqlite" ? kinds : undefined);

  describe("claim (an early end revoked at once)", () => {
    it("leases a due grant nobody holds to the caller until now + leaseMs, and answers it", async () => {
      const id = await active();
      const other = await active();
      const claimed = await store.grants.claim(id, expiresAt, "replica-a", LEASE_MS);
      expect(claimed).toMatchObject({ requestId: id, status: "active", dueAt: expiresAt });
      expect(await lease(id)).toMatchObject({ lease_owner: "replica-a", lease_until: expiresAt.getTime() + LEASE_MS });
      expect(await lease(other)).toMatchObject({ lease_owner: null, lease_until: null });
    });

    it("leaves a grant that is not yet due, or not active", async () => {
      const id = await active();
      expect(await store.grants.claim(id, new Date(expiresAt.getTime() - 1), "replica-a", LEASE_MS)).toBeUndefined();
      expect(await lease(id)).toMatchObject({ lease_owner: null, lease_until: null });
      const inFlight = await granting();
      await store.kysely
        .updateTable("grants")
        .set({ due_at: at.getTime() })
        .where("request_id", "=", inFlight)
        .execute();
      expect(await store.grants.claim(inFlight, expiresAt, "replica-a", LEASE_MS)).toBeUndefined();
    });

    it("leaves a grant another replica holds until its lease lapses, and lets the holder claim it again", async () => {
      const id = await active();
      const until = expiresAt.getTime() + 10_000;
      await setLease(id, "replica-b", until);
      expect(await store.grants.claim(id, expiresAt, "replica-a", LEASE_MS)).toBeUndefined();
      expect(await lease(id)).toMatchObject({ lease_owner: "replica-b", lease_until: until });
      expect(await store.grants.claim(id, expiresAt, "replica-b", LEASE_MS)).toMatchObject({ requestId: id });
      // At the very millisecond the lease ends, it has lapsed.
      await setLease(id, "replica-b", until);
      expect(await store.grants.claim(id, new Date(until), "replica-a", LEASE_MS)).toMatchObject({ requestId: id });
      expect(await lease(id)).toMatchObject({ lease_owner: "replica-a", lease_until: until + LEASE_MS });
    });
  });

  describe("claimDue (a sweep's page)", () => {
    it("leases the due grants nobody else holds, earliest first and at most `limit`, and answers them by due time", async () => {
      const store2 = await engine.open();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) {
          const id = `JR-P${i}`;
          await insertRequest(store2, id, at);
          await store2.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
          await store2.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
          await store2.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
          ids.push(id);
        }
        // JR-P3 is due first, JR-P2 at the sweep's very moment; JR-P1 is held by a live replica.
        const now = expiresAt.getTime();
        const due = (id: string, ms: number) =>
          store2.kysely.updateTable("grants").set({ due_at: ms }).where("request_id", "=", id).execute();
        await due("JR-P3", now - 60_000);
        await due("JR-P0", now - 30_000);
        await due("JR-P2", now);
        await store2.kysely
          .updateTable("grants")
          .set({ due_at: now - 90_000, lease_owner: "replica-b", lease_until: now + 1 })
          .where("request_id", "=", "JR-P1")
          .execute();
        const page = await store2.grants.claimDue(expiresAt, 2, "replica-a", LEASE_MS);
        expect(page.map((g) => g.requestId)).toEqual(["JR-P3", "JR-P0"]);
        const rest = await store2.grants.claimDue(expiresAt, 10, "replica-a", LEASE_MS);
        // Its own leases come back to the same owner, by due time (then id), with the one due now.
        expect(rest.map((g) => g.requestId)).toEqual(["JR-P3", "JR-P0", "JR-P2"]);
        const leases = await store2.kysely
          .selectFrom("grants")
          .select(["request_id", "lease_owner", "lease_until"])
          .orderBy("request_id")
          .execute();
        expect(leases).toEqual([
          { request_id: "JR-P0", lease_owner: "replica-a", lease_until: now + LEASE_MS },
          { request_id: "JR-P1", lease_owner: "replica-b", lease_until: now + 1 },
          { request_id: "JR-P2", lease_owner: "replica-a", lease_until: now + LEASE_MS },
          { request_id: "JR-P3", lease_owner: "replica-a", lease_until: now + LEASE_MS },
        ]);
        expect(await store2.grants.claimDue(new Date(now - 120_000), 10, "replica-c", LEASE_MS)).toEqual([]);
      } finally {
        await store2.close();
      }
    });

    it("answers a page sorted by due time even when request ids sort the other way", async () => {
      const store2 = await engine.open();
      try {
        for (const [id, offset] of [
          ["JR-A", -1_000],
          ["JR-B", -2_000],
          ["JR-C", -3_000],
        ] as const) {
          await insertRequest(store2, id, at);
          await store2.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
          await store2.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
          await store2.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
          await store2.kysely
            .updateTable("grants")
            .set({ due_at: expiresAt.getTime() + offset })
            .where("request_id", "=", id)
            .execute();
        }
        const page = await store2.grants.claimDue(expiresAt, 10, "replica-a", LEASE_MS);
        expect(page.map((g) => g.requestId)).toEqual(["JR-C", "JR-B", "JR-A"]);
      } finally {
        await store2.close();
      }
    });
  });

  describe("takeOver (a grant left in flight)", () => {
    it("takes a grant in flight that nobody holds, or this owner holds, or whose lease lapsed", async () => {
      const id = await granting();
      expect(await store.grants.takeOver(id, at, "replica-a", LEASE_MS)).toBe(true);
      expect(await lease(id)).toMatchObject({ lease_owner: "replica-a", lease_until: at.getTime() + LEASE_MS });
      const later = new Date(at.getTime() + 1_000);
      expect(await store.grants.takeOver(id, later, "replica-a", LEASE_MS)).toBe(true);
      expect(await lease(id)).toMatchObject({ lease_owner: "replica-a", lease_until: later.getTime() + LEASE_MS });
      // Another replica: not while the lease runs, yes from the millisecond it ends.
      const until = later.getTime() + LEASE_MS;
      expect(await store.grants.takeOver(id, new Date(until - 1), "replica-b", LEASE_MS)).toBe(false);
      expect(await lease(id)).toMatchObject({ lease_owner: "replica-a", lease_until: until });
      expect(await store.grants.takeOver(id, new Date(until), "replica-b", LEASE_MS)).toBe(true);
      expect(await lease(id)).toMatchObject({ lease_owner: "replica-b", lease_until: until + LEASE_MS });
    });

    it("never takes an active grant, nor another request's", async () => {
      const id = await active();
      expect(await store.grants.takeOver(id, at, "replica-a", LEASE_MS)).toBe(false);
      expect(await lease(id)).toMatchObject({ lease_owner: null, lease_until: null });
      const inFlight = await granting();
      const other = await granting();
      expect(await store.grants.takeOver(inFlight, at, "replica-a", LEASE_MS)).toBe(true);
      expect(await lease(other)).toMatchObject({ lease_owner: null, lease_until: null });
    });
  });

  describe("renewLeases (a replica's heartbeat)", () => {
    it("renews this owner's leases on grants in flight or active, and nothing else", async () => {
      const store2 = await engine.open();
      try {
        const make = async (id: string, status: "granting" | "active" | "ended", owner: string) => {
          await insertRequest(store2, id, at);
          await store2.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
          await store2.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
          await store2.kysely
            .updateTable("grants")
            .set({ status, lease_owner: owner, lease_until: at.getTime() })
            .where("request_id", "=", id)
            .execute();
        };
        await make("JR-R1", "granting", "replica-a");
        await make("JR-R2", "active", "replica-a");
        await make("JR-R3", "ended", "replica-a");
        await make("JR-R4", "active", "replica-b");
        const now = new Date(at.getTime() + 5_000);
        expect(await store2.grants.renewLeases("replica-a", now, LEASE_MS)).toBe(2);
        const leases = await store2.kysely
          .selectFrom("grants")
          .select(["request_id", "lease_until"])
          .orderBy("request_id")
          .execute();
        expect(leases).toEqual([
          { request_id: "JR-R1", lease_until: now.getTime() + LEASE_MS },
          { request_id: "JR-R2", lease_until: now.getTime() + LEASE_MS },
          { request_id: "JR-R3", lease_until: at.getTime() },
          { request_id: "JR-R4", lease_until: at.getTime() },
        ]);
      } finally {
        await store2.close();
      }
    });
  });

  describe("revokeFailed", () => {
    it("counts the attempt, keeps the error, moves the due time and frees the lease", async () => {
      const id = await active();
      const other = await active();
      await setLease(id, "replica-a", expiresAt.getTime() + LEASE_MS);
      await store.kysely.updateTable("grants").set({ revoke_attempts: 2 }).where("request_id", "=", id).execute();
      const retryAt = new Date(expiresAt.getTime() + 5_000);
      const kinds = await noticesOf(id, () =>
        store.grants.revokeFailed({ requestId: id, error: "503", nextAttemptAt: retryAt }),
      );
      expect(kinds).toEqual(sqliteOnly(["grant.revoke_failed"]));
      expect(await lease(id)).toMatchObject({
        lease_owner: null,
        lease_until: null,
        due_at: retryAt.getTime(),
        last_error: "503",
        revoke_attempts: 3,
      });
      expect(await lease(other)).toMatchObject({ due_at: expiresAt.getTime(), last_error: null, revoke_attempts: 0 });
    });

    it("tells nobody of a grant that had already ended", async () => {
      const id = await active();
      await store.grants.end({ requestId: id, reason: "expired", at: expiresAt, actor: "jitbot", detail: "removed" });
      const retryAt = new Date(expiresAt.getTime() + 5_000);
      const kinds = await noticesOf(id, () =>
        store.grants.revokeFailed({ requestId: id, error: "503", nextAttemptAt: retryAt }),
      );
      expect(kinds).toEqual(sqliteOnly([]));
    });
  });

  describe("end", () => {
    it("clears the error and the lease, tells every replica, and audits the read-back only when there was one", async () => {
      const id = await active();
      await store.kysely
        .updateTable("grants")
        .set({ last_error: "503", lease_owner: "replica-a", lease_until: expiresAt.getTime() + LEASE_MS })
        .where("request_id", "=", id)
        .execute();
      const kinds = await noticesOf(id, () =>
        store.grants.end({ requestId: id, reason: "expired", at: expiresAt, actor: "jitbot", detail: "removed" }),
      );
      expect(kinds).toEqual(sqliteOnly(["grant.ended"]));
      expect(await lease(id)).toMatchObject({
        lease_owner: null,
        lease_until: null,
        last_error: null,
        end_reason: "expired",
      });
      expect((await auditOf(id)).at(-1)).toEqual({
        action: "request.expired",
        actor: "jitbot",
        detail: { detail: "removed" },
      });

      const proven = await active();
      await store.grants.end({
        requestId: proven,
        reason: "revoked",
        at: expiresAt,
        actor: "U0ALICE",
        detail: "removed",
        verified: false,
        readBack: "still listed",
      });
      expect((await auditOf(proven)).at(-1)).toEqual({
        action: "request.revoked",
        actor: "U0ALICE",
        detail: { detail: "removed", verified: false, readBack: "still listed" },
      });
    });

    it("records a missed break-glass confirmation as a revoke, with its reason", async () => {
      const id = await active();
      const ended = await store.grants.end({
        requestId: id,
        reason: "not_confirmed",
        at: expiresAt,
        actor: "jitbot",
        detail: "removed",
        verified: true,
      });
      expect(ended?.request.status).toBe("revoked");
      expect(ended?.grant).toMatchObject({ status: "ended", endReason: "not_confirmed", endedAt: expiresAt });
      expect((await auditOf(id)).at(-1)).toEqual({
        action: "request.revoked",
        actor: "jitbot",
        detail: { detail: "removed", verified: true, reason: "not confirmed", breakGlass: true },
      });
    });

    it("ends a roll-back confirmed late: the request stays failed, only the audit learns, and the caller gets both rows", async () => {
      const id = await active();
      await store.kysely.updateTable("requests").set({ status: "failed" }).where("id", "=", id).execute();
      let ended: Awaited<ReturnType<Store["grants"]["end"]>>;
      const notices = await noticesOf(id, async () => {
        ended = await store.grants.end({
          requestId: id,
          reason: "expired",
          at: expiresAt,
          actor: "jitbot",
          detail: "rolled back",
          readBack: "gone",
        });
      });
      expect(notices).toEqual(sqliteOnly(["grant.ended"]));
      expect(ended?.request.status).toBe("failed");
      expect(ended?.grant).toMatchObject({ requestId: id, status: "ended" });
      expect((await auditOf(id)).at(-1)).toEqual({
        action: "grant.rolled_back",
        actor: "jitbot",
        detail: { detail: "rolled back", readBack: "gone" },
      });
      expect((await store.requests.mustGet(id)).status).toBe("failed");
    });

    it("an expiry expires the chain of extensions under the grant; a deeper grant keeps an earlier due time and its own reason", async () => {
      const root = await active();
      const ext = await appliedExtension(root);
      // Older jitbot: a grant of its own for the extension's extension, already due earlier, asked to end.
      const deeper = await active(ext);
      const earlier = at.getTime() + 1_000;
      await store.kysely
        .updateTable("grants")
        .set({ due_at: earlier, end_reason: "revoked" })
        .where("request_id", "=", deeper)
        .execute();
      // Another requester's request naming the root is not part of the chain.
      const stranger = `JR-E${String(n++).padStart(5, "0")}`;
      await store.requests.insert({
        id: stranger,
        profileId: "aks-prod-sre",
        requesterId: "U0MALLORY",
        requesterName: "Mallory",
        requesterEmail: "mallory@example.com",
        durationSeconds: 3600,
        justification: "riding along",
        ticket: undefined,
        createdAt: at,
        extendsRequestId: root,
      });
      await store.requests.decide({ id: stranger, approverId: "U0BOB", decision: "approve", required: 1, at });
      await store.requests.transition({ id: stranger, from: "approved", event: "activate", at, actor: "jitbot" });

      const kinds = await noticesOf(deeper, () =>
        store.grants.end({ requestId: root, reason: "expired", at: expiresAt, actor: "jitbot", detail: "removed" }),
      );
      expect(kinds).toEqual(sqliteOnly(["grant.end_requested"]));
      expect((await store.requests.mustGet(ext)).status).toBe("expired");
      expect((await auditOf(ext)).at(-1)).toEqual({
        action: "request.expired",
        actor: "jitbot",
        detail: { endedWith: root },
      });
      expect(await lease(deeper)).toMatchObject({ due_at: earlier, end_reason: "revoked" });
      expect((await store.requests.mustGet(stranger)).status).toBe("active");
    });

    it("a revoke makes a deeper grant due now and names the revoke as its reason", async () => {
      const root = await active();
      const ext = await appliedExtension(root);
      const deeper = await active(ext);
      const ended = await active(ext);
      await store.grants.end({ requestId: ended, reason: "expired", at, actor: "jitbot", detail: "removed" });
      const now = new Date(at.getTime() + 60_000);
      await store.grants.end({ requestId: root, reason: "revoked", at: now, actor: "U0ALICE", detail: "removed" });
      expect((await store.requests.mustGet(ext)).status).toBe("revoked");
      expect(await lease(deeper)).toMatchObject({ due_at: now.getTime(), end_reason: "revoked" });
      expect(await lease(ended)).toMatchObject({ due_at: expiresAt.getTime(), end_reason: "expired" });
    });

    it("a deeper grant that is not active is neither asked to end nor announced as asked", async () => {
      const root = await active();
      const ext = await appliedExtension(root);
      // An older row: the deeper request marked active while its own grant is still being granted.
      const deeper = await granting(ext);
      await store.kysely.updateTable("requests").set({ status: "active" }).where("id", "=", deeper).execute();
      const before = await lease(deeper);
      const kinds = await noticesOf(deeper, () =>
        store.grants.end({ requestId: root, reason: "revoked", at, actor: "U0ALICE", detail: "removed" }),
      );
      expect(kinds).toEqual(sqliteOnly([]));
      expect(await lease(deeper)).toEqual(before);
    });
  });

  describe("requestEnd (/jit revoke, cancel)", () => {
    it("makes an active grant due now, as a revoke, audited and told", async () => {
      const id = await active();
      const now = new Date(at.getTime() + 60_000);
      let outcome: unknown;
      const kinds = await noticesOf(id, async () => {
        outcome = await store.grants.requestEnd(id, now, "U0ALICE");
      });
      expect(outcome).toBe("revoking");
      expect(kinds).toEqual(sqliteOnly(["grant.end_requested"]));
      expect(await lease(id)).toMatchObject({ due_at: now.getTime(), end_reason: "revoked" });
      expect((await auditOf(id)).at(-1)).toEqual({ action: "grant.revoke_requested", actor: "U0ALICE", detail: {} });
    });

    it("keeps an earlier due time (a revoke already retrying) and answers revoking", async () => {
      const id = await active();
      const earlier = at.getTime() + 1_000;
      await store.kysely.updateTable("grants").set({ due_at: earlier }).where("request_id", "=", id).execute();
      expect(await store.grants.requestEnd(id, new Date(at.getTime() + 60_000), "U0ALICE")).toBe("revoking");
      expect(await lease(id)).toMatchObject({ due_at: earlier, end_reason: "revoked" });
    });

    it("records the first intent on a grant in flight, audited and told", async () => {
      const id = await granting();
      let outcome: unknown;
      const kinds = await noticesOf(id, async () => {
        outcome = await store.grants.requestEnd(id, at, "U0BOB");
      });
      expect(outcome).toBe("revoke_after_grant");
      expect(kinds).toEqual(sqliteOnly(["grant.end_requested"]));
      expect((await auditOf(id)).at(-1)).toEqual({
        action: "grant.revoke_requested",
        actor: "U0BOB",
        detail: { whileGranting: true },
      });
      expect(await store.grants.requestEnd(id, new Date(at.getTime() + 1_000), "U0CAROL")).toBe("revoke_after_grant");
      expect(await store.grants.get(id)).toMatchObject({ revokeRequestedAt: at, revokeRequestedBy: "U0BOB" });
    });

    it("cancels an approved request with no grant, audited and told", async () => {
      const id = `JR-E${String(n++).padStart(5, "0")}`;
      await insertRequest(store, id, at);
      await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
      let outcome: unknown;
      const kinds = await noticesOf(id, async () => {
        outcome = await store.grants.requestEnd(id, at, "U0ALICE");
      });
      expect(outcome).toBe("cancelled");
      expect(kinds).toEqual(sqliteOnly(["grant.end_requested"]));
      expect((await auditOf(id)).at(-1)).toEqual({
        action: "request.cancelled",
        actor: "U0ALICE",
        detail: { beforeGrantStarted: true },
      });
    });

    it("ends nothing of a grant that ended, nor of a request that is not approved", async () => {
      const id = await active();
      await store.grants.end({ requestId: id, reason: "expired", at: expiresAt, actor: "jitbot", detail: "removed" });
      const trail = await auditOf(id);
      expect(await store.grants.requestEnd(id, expiresAt, "U0ALICE")).toBeUndefined();
      expect(await auditOf(id)).toEqual(trail);
      const pending = `JR-E${String(n++).padStart(5, "0")}`;
      await insertRequest(store, pending, at);
      expect(await store.grants.requestEnd(pending, at, "U0ALICE")).toBeUndefined();
      expect((await store.requests.mustGet(pending)).status).toBe("pending");
    });
  });
});

/**
 * PostgreSQL only (SQLite has one writer at a time): a sweep on another replica is between its read
 * of due grants and its lease of them, holding their rows. This replica's page skips those rows and
 * leases the next ones at once, rather than waiting on them and then finding them taken.
 */
describe.runIf(testDatabaseUrl())("claimDue beside another replica's claim (PostgreSQL)", () => {
  it("skips the rows another claim holds and leases the next due ones, without waiting", async () => {
    const location = freshSchemaUrl();
    const store = await Store.open(location);
    const admin = await adminClient();
    try {
      for (const id of ["JR-K0", "JR-K1", "JR-K2", "JR-K3"]) {
        await insertRequest(store, id, at);
        await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
        await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
        await store.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
      }
      const schema = new URL(location).searchParams.get("schema");
      await admin.query("BEGIN");
      await admin.query(`SELECT request_id FROM "${schema}".grants WHERE request_id IN ('JR-K0', 'JR-K1') FOR UPDATE`);
      const page = store.grants.claimDue(expiresAt, 2, "replica-b", LEASE_MS);
      const waiting = new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), 3_000));
      const first = await Promise.race([page, waiting]);
      await admin.query("COMMIT");
      await page;
      expect(first === "still waiting" ? first : first.map((g) => g.requestId)).toEqual(["JR-K2", "JR-K3"]);
    } finally {
      await admin.end();
      await store.close();
    }
  });
});
