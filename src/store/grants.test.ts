import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines } from "../../test/support/postgres.js";
import { insertRequest } from "../../test/support/store-rows.js";
import type { Store } from "./index.js";

/**
 * What the grant repository's writes leave in the row (store/grants.ts): the in-flight row and its
 * lease, activation (and a revoke asked for meanwhile), failure, a roll-back the provider did not
 * confirm, extension, and the bookkeeping of messages. Which state each write refuses to touch is
 * grant-guards.test.ts's subject.
 */
const at = new Date("2026-03-02T10:00:00Z");
const soon = new Date("2026-03-02T10:01:00Z");
const expiresAt = new Date("2026-03-02T11:00:00Z");
const later = new Date("2026-03-02T12:00:00Z");
const confirmBy = new Date("2026-03-02T10:15:00Z");
let n = 0;

describe.each(engines())("the grant repository ($name)", (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await engine.open();
  });
  afterAll(() => store.close());

  const nextId = () => `JR-W${String(n++).padStart(5, "0")}`;
  /** An approved request, as a decision leaves it; a break glass is approved as it is filed. */
  async function approved(options: { breakGlass?: boolean } = {}): Promise<string> {
    const id = nextId();
    if (options.breakGlass) {
      await store.requests.insert({
        id,
        profileId: "aks-prod-sre",
        requesterId: "U0ALICE",
        requesterName: "Alice",
        requesterEmail: undefined,
        durationSeconds: 3600,
        justification: "the cluster is down",
        ticket: undefined,
        createdAt: at,
        extendsRequestId: undefined,
        breakGlass: { confirmBy, confirmedBy: undefined, confirmedAt: undefined },
      });
      return id;
    }
    await insertRequest(store, id, at);
    await store.requests.transition({ id, from: "pending", event: "approve", at, actor: "U0BOB" });
    return id;
  }
  async function granting(options: { breakGlass?: boolean } = {}): Promise<string> {
    const id = await approved(options);
    expect(await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt })).toBe(true);
    return id;
  }
  async function active(options: { breakGlass?: boolean } = {}): Promise<string> {
    const id = await granting(options);
    await store.grants.activate({ requestId: id, state: { userId: "u1" }, at: soon, expiresAt });
    return id;
  }
  const grant = async (id: string) => {
    const found = await store.grants.get(id);
    if (!found) throw new Error(`no grant for ${id}`);
    return found;
  };
  const rawGrant = (id: string) =>
    store.kysely.selectFrom("grants").selectAll().where("request_id", "=", id).executeTakeFirstOrThrow();
  const lease = async (id: string) => {
    const row = await rawGrant(id);
    return { owner: row.lease_owner, until: row.lease_until === null ? null : Number(row.lease_until) };
  };
  const statusOf = async (id: string) => (await store.requests.mustGet(id)).status;
  const trail = async (id: string) =>
    (await store.auditTrail(id)).map((row) => ({
      action: row.action,
      actor: row.actor,
      detail: JSON.parse(row.detail),
    }));
  /** The kinds of change this replica's listeners heard about `id` while `work` ran. */
  async function noticesOf(id: string, work: () => Promise<unknown>): Promise<string[]> {
    const kinds: string[] = [];
    const stop = store.onChange((change) => {
      if (change.requestId === id) kinds.push(change.kind);
    });
    await work();
    stop();
    return kinds;
  }
  // SQLite tells this replica's listeners on commit; PostgreSQL's notice arrives later, over LISTEN.
  const expectNotices = (kinds: string[], expected: string[]) => {
    if (engine.name === "sqlite") expect(kinds).toEqual(expected);
  };

  describe("starting a grant", () => {
    it("writes the in-flight row, due at its end and leased to nobody, before the provider is called", async () => {
      const id = await approved();
      expect(await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt })).toBe(true);
      expect(await grant(id)).toMatchObject({
        requestId: id,
        provider: "entra-group",
        status: "granting",
        state: {},
        startedAt: at,
        grantedAt: undefined,
        expiresAt,
        dueAt: expiresAt,
        endReason: undefined,
      });
      expect(await lease(id)).toEqual({ owner: null, until: null });
    });

    it("leases the row to its replica for the time asked, or a minute", async () => {
      const asked = await approved();
      await store.grants.start({ requestId: asked, provider: "p", at, expiresAt, owner: "R1", leaseMs: 5_000 });
      expect(await lease(asked)).toEqual({ owner: "R1", until: at.getTime() + 5_000 });
      const byDefault = await approved();
      await store.grants.start({ requestId: byDefault, provider: "p", at, expiresAt, owner: "R1" });
      expect(await lease(byDefault)).toEqual({ owner: "R1", until: at.getTime() + 60_000 });
    });

    it("makes an unconfirmed break glass due at its confirmation deadline", async () => {
      const id = await granting({ breakGlass: true });
      expect((await grant(id)).dueAt).toEqual(confirmBy);
    });

    it("starts nothing for a request that is not approved, or not there", async () => {
      const id = nextId();
      await insertRequest(store, id, at);
      await store.requests.transition({ id, from: "pending", event: "cancel", at, actor: "U0ALICE" });
      expect(await store.grants.start({ requestId: id, provider: "p", at, expiresAt })).toBe(false);
      expect(await store.grants.get(id)).toBeUndefined();
      expect(await store.grants.start({ requestId: "JR-NOSUCH", provider: "p", at, expiresAt })).toBe(false);
    });

    describe("again, on a row still in flight (a retry, or another replica's reconcile)", () => {
      const retry = (id: string, owner: string | undefined, when: Date) =>
        store.grants.start({
          requestId: id,
          provider: "entra-group",
          at: when,
          expiresAt: later,
          owner,
          leaseMs: 5_000,
        });
      async function leasedTo(owner: string): Promise<string> {
        const id = await approved();
        await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt, owner, leaseMs: 5_000 });
        return id;
      }
      const restarted = (when: Date) => ({
        status: "granting",
        startedAt: when,
        expiresAt: later,
        dueAt: later,
      });

      it("takes over a row nobody holds, restarting it", async () => {
        const id = await granting();
        expect(await retry(id, "R2", soon)).toBe(true);
        expect(await grant(id)).toMatchObject(restarted(soon));
        expect(await lease(id)).toEqual({ owner: "R2", until: soon.getTime() + 5_000 });
      });

      it("lets the replica holding the lease restart it before the lease lapses", async () => {
        const id = await leasedTo("R1");
        const within = new Date(at.getTime() + 1_000);
        expect(await retry(id, "R1", within)).toBe(true);
        expect(await grant(id)).toMatchObject(restarted(within));
        expect(await lease(id)).toEqual({ owner: "R1", until: within.getTime() + 5_000 });
      });

      it("refuses another replica while the lease lasts, changing nothing", async () => {
        const id = await leasedTo("R1");
        const before = await rawGrant(id);
        expect(await retry(id, "R2", new Date(at.getTime() + 4_999))).toBe(false);
        expect(await retry(id, undefined, new Date(at.getTime() + 4_999))).toBe(false);
        expect(await rawGrant(id)).toEqual(before);
      });

      it("lets another replica take it over from the moment the lease lapses", async () => {
        const id = await leasedTo("R1");
        const lapsed = new Date(at.getTime() + 5_000);
        expect(await retry(id, "R2", lapsed)).toBe(true);
        expect(await grant(id)).toMatchObject(restarted(lapsed));
        expect(await lease(id)).toEqual({ owner: "R2", until: lapsed.getTime() + 5_000 });
      });
    });
  });

  describe("activating a grant", () => {
    it("records what the provider made, due at its end, and moves the request to active", async () => {
      const id = await approved();
      await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt, owner: "R1" });
      const providerExpiresAt = new Date(expiresAt.getTime() + 60_000);
      const kinds = await noticesOf(id, () =>
        store.grants.activate({ requestId: id, state: { userId: "u1", n: 2 }, at: soon, expiresAt, providerExpiresAt }),
      );
      expect(await grant(id)).toMatchObject({
        status: "active",
        state: { userId: "u1", n: 2 },
        startedAt: at,
        grantedAt: soon,
        expiresAt,
        providerExpiresAt,
        dueAt: expiresAt,
        endReason: undefined,
      });
      expect(await lease(id)).toEqual({ owner: null, until: null });
      expect(await statusOf(id)).toBe("active");
      expect((await trail(id)).at(-1)).toEqual({
        action: "request.active",
        actor: "jitbot",
        detail: { expiresAt: expiresAt.toISOString() },
      });
      expectNotices(kinds, ["grant.activated"]);
    });

    it("keeps no provider end when the provider enforces none", async () => {
      const id = await granting();
      await store.grants.setState(id, { userId: "u0" }, new Date(at.getTime() + 1));
      await store.grants.activate({ requestId: id, state: { userId: "u1" }, at: soon, expiresAt });
      expect((await grant(id)).providerExpiresAt).toBeUndefined();
    });

    it("takes the end it is given, which may differ from the one asked at the start", async () => {
      const id = await granting();
      await store.grants.activate({ requestId: id, state: {}, at: soon, expiresAt: later });
      expect(await grant(id)).toMatchObject({ expiresAt: later, dueAt: later });
    });

    it("makes a grant whose revoke was asked for while granting due at once, as revoked", async () => {
      const id = await granting();
      expect(await store.grants.requestEnd(id, at, "U0ALICE")).toBe("revoke_after_grant");
      await store.grants.activate({ requestId: id, state: { userId: "u1" }, at: soon, expiresAt });
      expect(await grant(id)).toMatchObject({ status: "active", dueAt: soon, endReason: "revoked" });
    });

    it("keeps an unconfirmed break glass due at its confirmation deadline", async () => {
      const id = await granting({ breakGlass: true });
      await store.grants.activate({ requestId: id, state: {}, at: soon, expiresAt });
      expect(await grant(id)).toMatchObject({ status: "active", dueAt: confirmBy });
    });

    it("says which grant it could not activate", async () => {
      const id = await active();
      await expect(store.grants.activate({ requestId: id, state: {}, at: soon, expiresAt })).rejects.toThrow(
        `grant ${id} is not being granted`,
      );
    });
  });

  describe("failing a grant", () => {
    it("fails the in-flight row with its reason, frees its lease, and fails the request", async () => {
      const id = await approved();
      await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt, owner: "R1" });
      await store.grants.fail({ requestId: id, at: soon, reason: "no such group" });
      expect(await grant(id)).toMatchObject({ status: "failed", lastError: "no such group" });
      expect(await lease(id)).toEqual({ owner: null, until: null });
      expect(await store.requests.mustGet(id)).toMatchObject({ status: "failed", decisionNote: "no such group" });
      expect((await trail(id)).at(-1)).toEqual({
        action: "request.failed",
        actor: "jitbot",
        detail: { note: "no such group" },
      });
    });

    it("fails nothing, and throws nothing, for a request that is not there", async () => {
      await expect(store.grants.fail({ requestId: "JR-NOSUCH", at: soon, reason: "gone" })).resolves.toBeUndefined();
      expect(await store.requests.get("JR-NOSUCH")).toBeUndefined();
    });
  });

  describe("a roll-back the provider did not confirm", () => {
    const rollBack = (id: string) =>
      store.grants.rollBackLater({ requestId: id, at: soon, reason: "503", rollbackState: { userId: "u-rollback" } });

    it("makes an in-flight grant due now as revoked, with the state to roll back, and fails the request", async () => {
      const id = await granting();
      const kinds = await noticesOf(id, () => rollBack(id));
      expect(await grant(id)).toMatchObject({
        status: "active",
        state: { userId: "u-rollback" },
        grantedAt: soon,
        dueAt: soon,
        endReason: "revoked",
        lastError: "503",
      });
      expect(await statusOf(id)).toBe("failed");
      expect((await trail(id)).slice(-2)).toEqual([
        { action: "grant.rollback_pending", actor: "jitbot", detail: {} },
        { action: "request.failed", actor: "jitbot", detail: { note: "503" } },
      ]);
      expectNotices(kinds, ["grant.rollback_pending"]);
    });

    it("keeps an active grant's own state and grant time", async () => {
      const id = await active();
      await rollBack(id);
      expect(await grant(id)).toMatchObject({
        status: "active",
        state: { userId: "u1" },
        grantedAt: soon,
        dueAt: soon,
        endReason: "revoked",
        lastError: "503",
      });
      const kept = await active();
      await store.grants.rollBackLater({ requestId: kept, at: later, reason: "503", rollbackState: {} });
      expect(await grant(kept)).toMatchObject({ state: { userId: "u1" }, grantedAt: soon, dueAt: later });
    });

    it("brings back a grant a start-up reconcile failed, without failing its request twice", async () => {
      const id = await granting();
      await store.grants.fail({ requestId: id, at, reason: "reconciled" });
      await rollBack(id);
      expect(await grant(id)).toMatchObject({ status: "active", state: { userId: "u-rollback" }, dueAt: soon });
      expect(await store.requests.mustGet(id)).toMatchObject({ status: "failed", decisionNote: "reconciled" });
      expect((await trail(id)).at(-1)).toMatchObject({ action: "grant.rollback_pending" });
    });

    it("leaves an ended grant alone, and audits nothing", async () => {
      const id = await active();
      await store.grants.end({ requestId: id, reason: "expired", at: soon, actor: "jitbot", detail: "removed" });
      const before = { grant: await rawGrant(id), trail: await trail(id) };
      const kinds = await noticesOf(id, () => rollBack(id));
      expect({ grant: await rawGrant(id), trail: await trail(id) }).toEqual(before);
      expect(kinds).toEqual([]);
    });
  });

  describe("extending a grant", () => {
    it("moves its end and due time, asks for a new reminder, frees its lease, and audits who extended it", async () => {
      const id = await active();
      await store.grants.markReminderSent(id, soon);
      await store.grants.claim(id, soon, "R1", 5_000);
      const kinds = await noticesOf(id, () => store.grants.extend(id, later, soon, "U0BOB", "JR-EXT01"));
      expect(await grant(id)).toMatchObject({
        expiresAt: later,
        dueAt: later,
        reminderSentAt: undefined,
        state: { userId: "u1" },
        providerExpiresAt: undefined,
      });
      expect(await lease(id)).toEqual({ owner: null, until: null });
      expect((await trail(id)).at(-1)).toEqual({
        action: "grant.extended",
        actor: "U0BOB",
        detail: { expiresAt: later.toISOString(), by: "JR-EXT01" },
      });
      expectNotices(kinds, ["grant.extended"]);
    });

    it("records what the provider changed to match, and says so in the audit", async () => {
      const id = await active();
      const providerExpiresAt = new Date(later.getTime() + 60_000);
      expect(
        await store.grants.extend(id, later, soon, "U0BOB", "JR-EXT02", {
          state: { userId: "u2" },
          providerExpiresAt,
          detail: "role assignment schedule moved",
        }),
      ).toBe(true);
      expect(await grant(id)).toMatchObject({ state: { userId: "u2" }, providerExpiresAt });
      expect((await trail(id)).at(-1)?.detail).toEqual({
        expiresAt: later.toISOString(),
        by: "JR-EXT02",
        provider: "role assignment schedule moved",
      });
    });

    it("keeps the provider's end when the provider enforces none", async () => {
      const id = await active();
      const enforced = new Date(expiresAt.getTime() + 60_000);
      await store.grants.setState(id, { userId: "u1" }, enforced);
      await store.grants.extend(id, later, soon, "U0BOB", "JR-EXT03", { state: { userId: "u3" }, detail: "d" });
      expect(await grant(id)).toMatchObject({ state: { userId: "u3" }, providerExpiresAt: enforced });
    });

    it("keeps an unconfirmed break glass due at its confirmation deadline, whatever its new end", async () => {
      const id = await active({ breakGlass: true });
      expect(await store.grants.extend(id, later, soon, "U0BOB", "JR-EXT04")).toBe(true);
      expect(await grant(id)).toMatchObject({ expiresAt: later, dueAt: confirmBy });
    });

    it("extends a grant up to the millisecond before its end", async () => {
      const id = await active();
      expect(await store.grants.extend(id, later, new Date(expiresAt.getTime() - 1), "U0BOB", "JR-EXT05")).toBe(true);
    });
  });

  describe("the bookkeeping of messages and alerts, on that grant only", () => {
    it("remembers the DM that told the person, and whether it held a secret", async () => {
      const secret = await active();
      const plain = await active();
      const untouched = await active();
      await store.grants.recordDm(secret, "D0ALICE", "111.1", true);
      await store.grants.recordDm(plain, "D0ALICE", "222.2", false);
      expect(await grant(secret)).toMatchObject({ dmChannel: "D0ALICE", dmTs: "111.1", dmHasSecret: true });
      expect(await grant(plain)).toMatchObject({ dmChannel: "D0ALICE", dmTs: "222.2", dmHasSecret: false });
      expect(await grant(untouched)).toMatchObject({ dmChannel: undefined, dmTs: undefined, dmHasSecret: false });
    });

    it("marks an ended grant's end as told, and no grant that has not ended", async () => {
      const ended = await active();
      const other = await active();
      await store.grants.end({ requestId: ended, reason: "expired", at: soon, actor: "jitbot", detail: "removed" });
      await store.grants.end({ requestId: other, reason: "expired", at: soon, actor: "jitbot", detail: "removed" });
      const live = await active();
      await store.grants.markEndTold(ended, later);
      await store.grants.markEndTold(live, later);
      const told = async (id: string) => (await rawGrant(id)).ended_told_at;
      expect(Number(await told(ended))).toBe(later.getTime());
      expect(await told(other)).toBeNull();
      expect(await told(live)).toBeNull();
    });

    it("sends the reminder before a grant's end once", async () => {
      const id = await active();
      const other = await active();
      expect(await store.grants.markReminderSent(id, soon)).toBe(true);
      expect(await store.grants.markReminderSent(id, later)).toBe(false);
      expect((await grant(id)).reminderSentAt).toEqual(soon);
      expect((await grant(other)).reminderSentAt).toBeUndefined();
    });

    it("remembers when the last alert about a grant went out", async () => {
      const id = await active();
      const other = await active();
      await store.grants.markAlerted(id, soon);
      await store.grants.markAlerted(id, later);
      expect((await grant(id)).lastAlertAt).toEqual(later);
      expect((await grant(other)).lastAlertAt).toBeUndefined();
    });

    it("replaces the provider's state, and its end or the lack of one", async () => {
      const id = await active();
      const other = await active();
      const enforced = new Date(expiresAt.getTime() + 60_000);
      await store.grants.setState(id, { userId: "u9" }, enforced);
      expect(await grant(id)).toMatchObject({ state: { userId: "u9" }, providerExpiresAt: enforced });
      await store.grants.setState(id, { userId: "u10" });
      expect(await grant(id)).toMatchObject({ state: { userId: "u10" }, providerExpiresAt: undefined });
      expect(await grant(other)).toMatchObject({ state: { userId: "u1" }, providerExpiresAt: undefined });
    });
  });
});
