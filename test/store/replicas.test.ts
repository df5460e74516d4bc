/**
 * Several replicas on one PostgreSQL schema: two (or more) Stores on one location stand for two
 * processes. SQLite allows one process per file, so those cases run on PostgreSQL only; what one
 * replica sees of its own work (leases, deliveries, notices, heartbeats) runs on both engines.
 */
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../src/store/db.js";
import { type Store, Store as StoreClass } from "../../src/store/index.js";
import { adminClient, engines, freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { countRows, insertRequest } from "../support/store-rows.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const ENGINES = engines();
const fail = (): never => {
  throw new Error("no store");
};
const at = new Date("2026-03-02T10:00:00Z");
const expiresAt = new Date(at.getTime() + 3600_000);

/** An approved request with an active grant, due at `expiresAt`. */
async function grantActive(store: Store, id: string): Promise<void> {
  await insertRequest(store, id, at);
  await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
  await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
  await store.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
}

/** The next change `store` hears that `matches`. */
function nextChange(store: Store, matches: (change: { requestId: string; kind: string }) => boolean) {
  return new Promise<{ requestId: string; kind: string }>((resolve) => {
    const stop = store.onChange((change) => {
      if (!matches(change)) return;
      stop();
      resolve(change);
    });
  });
}

describe.each(ENGINES)("one replica's view ($name)", (engine) => {
  it("leases due grants: a lease held by another owner is skipped until it lapses, and ending clears it", async () => {
    const store = await engine.open();
    for (const id of ["JR-L1", "JR-L2", "JR-L3"]) await grantActive(store, id);
    const claimed = await store.grants.claimDue(expiresAt, 2, "replica-a", 30_000);
    expect(claimed.map((g) => g.requestId)).toEqual(["JR-L1", "JR-L2"]);
    // Another owner gets only what is left; the same owner may claim its own again.
    expect((await store.grants.claimDue(expiresAt, 10, "replica-b", 30_000)).map((g) => g.requestId)).toEqual([
      "JR-L3",
    ]);
    expect(await store.grants.claimDue(expiresAt, 10, "replica-c", 30_000)).toEqual([]);
    // A lease lapses: replica-a died mid-revoke; 30 s later anyone may take the grant.
    const lapsed = new Date(expiresAt.getTime() + 30_000);
    expect((await store.grants.claimDue(lapsed, 10, "replica-c", 30_000)).map((g) => g.requestId)).toEqual([
      "JR-L1",
      "JR-L2",
      "JR-L3",
    ]);
    // A failed revoke frees the grant for whoever is next, at its new due time.
    const retryAt = new Date(lapsed.getTime() + 5_000);
    await store.grants.revokeFailed({ requestId: "JR-L1", error: "503", nextAttemptAt: retryAt });
    expect((await store.grants.claimDue(retryAt, 10, "replica-d", 30_000)).map((g) => g.requestId)).toEqual(["JR-L1"]);
    // Not yet due: nothing to claim; due() and nextDueAt() still see every active grant.
    expect(await store.grants.claimDue(at, 10, "replica-a", 30_000)).toEqual([]);
    expect(await store.grants.due(retryAt, 10)).toHaveLength(3);
    await store.close();
  });

  it("claims a Slack delivery once, and forgets it after an hour", async () => {
    const store = await engine.open();
    expect(await store.claimDelivery("Ev0001", at)).toBe(true);
    expect(await store.claimDelivery("Ev0001", new Date(at.getTime() + 1_000))).toBe(false);
    expect(await store.claimDelivery("Ev0002", at)).toBe(true);
    const later = new Date(at.getTime() + 3_600_001 + 60_000);
    expect(await store.claimDelivery("Ev0003", later)).toBe(true);
    expect(await countRows(store, "slack_deliveries")).toBe(1);
    await store.close();
  });

  it("tells its listeners of each committed change, and nothing of a refused one", async () => {
    const store = await engine.open();
    const heard: string[] = [];
    const stop = store.onChange((change) => heard.push(`${change.kind} ${change.requestId}`));
    const activated = nextChange(store, (c) => c.kind === "grant.activated");
    await grantActive(store, "JR-N1");
    await activated;
    await expect(
      store.requests.decide({ id: "JR-N1", approverId: "U0CAROL", decision: "deny", required: 1, at }),
    ).rejects.toThrow();
    const ended = nextChange(store, (c) => c.kind === "grant.ended");
    await store.grants.end({ requestId: "JR-N1", reason: "expired", at: expiresAt, actor: "jitbot", detail: "gone" });
    await ended;
    stop();
    expect(heard).toEqual([
      "request.created JR-N1",
      "request.decided JR-N1",
      "grant.activated JR-N1",
      "grant.ended JR-N1",
    ]);
    await store.close();
  });

  it("reports the database's clock and each replica's offset from it", async () => {
    const store = await engine.open();
    const before = Date.now();
    const dbNow = (await store.databaseTime()).getTime();
    expect(Math.abs(dbNow - before)).toBeLessThan(5_000);
    const since = new Date(dbNow - 1_000);
    await store.heartbeat("replica-a", new Date(Date.now() + 60_000));
    await store.heartbeat("replica-b", new Date());
    const seen = await store.replicas(since);
    expect(seen.map((r) => r.replicaId)).toEqual(["replica-a", "replica-b"]);
    expect(seen[0]?.offsetMs).toBeGreaterThan(55_000);
    expect(Math.abs(seen[1]?.offsetMs ?? Number.NaN)).toBeLessThan(5_000);
    expect(await store.replicas(new Date(dbNow + 3_600_000))).toEqual([]);
    await store.close();
  });
});

describe.runIf(testDatabaseUrl())("several replicas on one PostgreSQL schema", () => {
  async function replicas(n: number, location = freshSchemaUrl()): Promise<Store[]> {
    return Promise.all(Array.from({ length: n }, () => StoreClass.open(location)));
  }
  const closeAll = (stores: Store[]) => Promise.all(stores.map((s) => s.close()));

  it("migrates a fresh schema once when four replicas start at the same moment", async () => {
    const stores = await replicas(4);
    const version = await sql<{ version: number }>`SELECT version FROM jitbot_schema`.execute(
      stores[0]?.kysely ?? fail(),
    );
    expect(version.rows).toEqual([{ version: SCHEMA_VERSION }]);
    const probe = await stores[1]?.kysely.selectFrom("store_probe").selectAll().execute();
    expect(probe).toHaveLength(1);
    await closeAll(stores);
  });

  it("never lets two replicas claim the same due grant", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas");
    for (let i = 0; i < 60; i++) await grantActive(a, `JR-C${String(i).padStart(3, "0")}`);
    const claimed: string[] = [];
    // Four sweeps, two per replica, each revoking (ending) what it claimed before it claims again.
    const sweep = async (store: Store, owner: string) => {
      for (;;) {
        const got = await store.grants.claimDue(expiresAt, 7, owner, 60_000);
        if (got.length === 0) return;
        for (const grant of got) {
          claimed.push(grant.requestId);
          const end = { requestId: grant.requestId, reason: "expired" as const, at: expiresAt, actor: owner };
          expect(await store.grants.end({ ...end, detail: "removed" })).toBeDefined();
        }
      }
    };
    await Promise.all([sweep(a, "a1"), sweep(b, "b1"), sweep(a, "a2"), sweep(b, "b2")]);
    expect(claimed).toHaveLength(60);
    expect(new Set(claimed).size).toBe(60);
    expect(await a.grants.active()).toEqual([]);
    await closeAll([a, b]);
  });

  it("keeps one audit chain while two replicas append at the same time", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas");
    await Promise.all(
      [a, b].flatMap((store, r) =>
        Array.from({ length: 40 }, (_, i) => insertRequest(store, `JR-A${r}${String(i).padStart(3, "0")}`, at)),
      ),
    );
    expect(await a.verifyAudit()).toEqual({ ok: true, events: 80, keyed: 0, anchors: 0 });
    await closeAll([a, b]);
  });

  it("has a write's audit events in the chain when the write returns, none left queued", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas");
    await Promise.all(
      [a, b].flatMap((store, r) =>
        Array.from({ length: 20 }, async (_, i) => {
          const id = `JR-Q${r}${String(i).padStart(3, "0")}`;
          await insertRequest(store, id, at);
          expect((await store.auditTrail(id)).map((row) => row.action)).toEqual(["request.submitted"]);
        }),
      ),
    );
    expect(await countRows(a, "audit_pending")).toBe(0);
    await closeAll([a, b]);
  });

  it("links the events a replica queued and died before linking, at another replica's next pass", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas");
    await insertRequest(a, "JR-LINK01", at);
    // What a replica killed between its commit and its link pass leaves behind.
    await sql`INSERT INTO audit_pending (at, actor, action, request_id, detail)
              VALUES (${at.getTime()}, 'U0BOB', 'request.approved', 'JR-LINK01', '{"required":1}')`.execute(a.kysely);
    expect(await a.verifyAudit()).toMatchObject({ ok: true, events: 1 });
    expect(await b.linkAudits()).toBe(true);
    expect(await countRows(a, "audit_pending")).toBe(0);
    expect(await a.verifyAudit()).toMatchObject({ ok: true, events: 2 });
    const trail = await a.auditTrail("JR-LINK01");
    expect(trail.map((row) => [row.seq, row.action, row.detail])).toEqual([
      [1, "request.submitted", expect.any(String)],
      [2, "request.approved", '{"required":1}'],
    ]);
    await closeAll([a, b]);
  });

  it("tells another replica of a change only once it commits", async () => {
    const [a, b] = await replicas(2);
    if (!a || !b) throw new Error("two replicas");
    const heard = nextChange(b, (c) => c.kind === "grant.extended");
    await grantActive(a, "JR-X1");
    const later = new Date(expiresAt.getTime() + 3600_000);
    expect(await a.grants.extend("JR-X1", later, at, "U0ALICE", "JR-X2")).toBe(true);
    expect(await heard).toEqual({ requestId: "JR-X1", kind: "grant.extended" });
    // A refused change (the grant already ended) sends nothing: the next notice is the one after it.
    const next = nextChange(b, () => true);
    await a.grants.end({ requestId: "JR-X1", reason: "revoked", at, actor: "U0ALICE", detail: "gone" });
    expect(await a.grants.extend("JR-X1", later, at, "U0ALICE", "JR-X3")).toBe(false);
    await insertRequest(a, "JR-X9", at);
    expect(await next).toEqual({ requestId: "JR-X1", kind: "grant.ended" });
    await closeAll([a, b]);
  });

  it("counts both of two approvals made on two replicas at the same instant (two required: approved)", async () => {
    const url = new URL(freshSchemaUrl());
    const name = `jitbot-two-${process.pid}`;
    url.searchParams.set("application_name", name);
    const location = url.toString();
    const [a, b] = await replicas(2, location);
    if (!a || !b) throw new Error("two replicas");
    await insertRequest(a, "JR-TWO1", at);
    // Hold each decision right after it wrote its approval and before it counts them: a trigger
    // waits there on an advisory lock the test holds, until both replicas are waiting somewhere.
    const admin = await adminClient();
    const schema = new URL(location).searchParams.get("schema");
    const gate = 770_001 + (process.pid % 1000);
    await admin.query(`CREATE FUNCTION "${schema}".hold_approval() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_advisory_xact_lock_shared(${gate}); RETURN NEW; END $$`);
    await admin.query(`CREATE TRIGGER hold AFTER INSERT ON "${schema}".approvals
      FOR EACH ROW EXECUTE FUNCTION "${schema}".hold_approval()`);
    await admin.query("SELECT pg_advisory_lock($1)", [gate]);
    const decide = (store: Store, approverId: string) =>
      store.requests.decide({ id: "JR-TWO1", approverId, decision: "approve", required: 2, at });
    const decisions = Promise.all([decide(a, "U0BOB"), decide(b, "U0CAROL")]);
    for (;;) {
      const waiting = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        [name],
      );
      if (waiting.rows[0]?.n >= 2) break;
    }
    await admin.query("SELECT pg_advisory_unlock($1)", [gate]);
    await admin.end();
    expect((await decisions).map((d) => d.kind).sort()).toEqual(["approved", "recorded"]);
    expect((await a.requests.mustGet("JR-TWO1")).status).toBe("approved");
    await closeAll([a, b]);
  });

  it("takes each Slack delivery once across replicas", async () => {
    const stores = await replicas(3);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 3]?.claimDelivery("Ev0ONCE", at) ?? false),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    await closeAll(stores);
  });

  it("is unhealthy in one sentence while the database is unreachable, and recovers, re-reading what it missed", async () => {
    const base = new URL(freshSchemaUrl());
    const proxy = new TcpProxy(base.hostname, Number(base.port || 5432));
    base.port = String(await proxy.start());
    const store = await StoreClass.open(base.toString(), { health: { probeEveryMs: 60_000 } });
    await store.checkIntegrity();
    expect(store.health()).toEqual({ ok: true });

    await proxy.cut();
    await expect(store.requests.get("JR-GONE")).rejects.toThrow();
    const down = store.health();
    expect(down.ok).toBe(false);
    expect(!down.ok && down.reason).toMatch(/^the PostgreSQL database is unreachable \(\w+/);

    const resync = nextChange(store, (c) => c.kind === "resync");
    await proxy.start();
    // A pooled connection the cut left behind may fail the first probe; the next one on a fresh
    // connection recovers (in production the probe runs every few seconds).
    for (let probe = 0; probe < 3 && !store.health().ok; probe++) await store.checkIntegrity();
    expect(store.health()).toEqual({ ok: true });
    expect(await resync).toEqual({ requestId: "", kind: "resync" });
    await store.close();
    await proxy.cut();
  });

  it("notices backends terminated by the server, and listens again", async () => {
    const url = new URL(freshSchemaUrl());
    url.searchParams.set("application_name", `jitbot-kill-${process.pid}`);
    const store = await StoreClass.open(url.toString(), { health: { probeEveryMs: 60_000 } });
    await insertRequest(store, "JR-K1", at);
    const resync = nextChange(store, (c) => c.kind === "resync");
    const admin = await adminClient();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
      url.searchParams.get("application_name"),
    ]);
    await admin.end();
    expect(await resync).toEqual({ requestId: "", kind: "resync" });
    // The pool replaces the dropped connections; the store works on.
    expect((await store.requests.mustGet("JR-K1")).status).toBe("pending");
    await store.close();
  });
});

describe.runIf(testDatabaseUrl())("connecting to PostgreSQL", () => {
  it("authenticates with the password callback, asked for each new connection", async () => {
    const url = new URL(freshSchemaUrl());
    const password = decodeURIComponent(url.password);
    url.password = "";
    let asked = 0;
    const store = await StoreClass.open(url.toString(), {
      password: async () => {
        asked++;
        return password;
      },
    });
    await insertRequest(store, "JR-PW1", at);
    expect(asked).toBeGreaterThan(0);
    await store.close();
    const refused = StoreClass.open(url.toString(), { password: async () => "not-the-password" });
    await expect(refused).rejects.toThrow(
      /^PostgreSQL at .* refused the sign-in \(28P01: password authentication failed/,
    );
    await expect(refused).rejects.not.toThrow(/not-the-password/);
  });

  it("refuses to start, in one sentence naming the fix, when its role may not create the schema", async () => {
    // The maintenance database: every role may connect to it, none but its owner may create in it.
    const url = new URL(freshSchemaUrl());
    url.pathname = "/postgres";
    await expect(StoreClass.open(url.toString())).rejects.toThrow(
      /^the database role may not create or change jitbot's schema "jt_\w+" at postgres:\/\/\w+:\*\*\*@.*\(permission denied for database postgres\); run jitbot migrate as a role that may/,
    );
  });

  it("refuses to start, in one sentence, when the server cannot be reached", async () => {
    const proxy = new TcpProxy("127.0.0.1", 9);
    const port = await proxy.start();
    await proxy.cut();
    const url = new URL(freshSchemaUrl());
    url.port = String(port);
    url.password = "hidden-pw";
    await expect(StoreClass.open(url.toString())).rejects.toThrow(
      new RegExp(
        `^cannot reach the PostgreSQL database at postgres://\\w+:\\*\\*\\*@127\\.0\\.0\\.1:${port}/.* \\(ECONNREFUSED\\)$`,
      ),
    );
  });
});
