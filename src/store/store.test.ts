import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { engines } from "../../test/support/postgres.js";
import { dropAuditGuards, insertRequest } from "../../test/support/store-rows.js";
import { DomainError } from "../domain/errors.js";
import { openDatabase, SCHEMA_VERSION } from "./db.js";
import { Store } from "./index.js";
import { POSTGRES_MIGRATIONS } from "./migrations.js";

const ENGINES = engines();
const at = new Date("2026-03-02T10:00:00Z");

function submit(store: Store, id = "JR-TEST01", extendsRequestId?: string) {
  return insertRequest(store, id, at, extendsRequestId);
}

/** Approved and granted (with a grant row of its own), as an ordinary request is. */
async function granted(store: Store, id: string, extendsRequestId?: string) {
  await submit(store, id, extendsRequestId);
  await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
  const expiresAt = new Date(at.getTime() + 3600_000);
  await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
  await store.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
}

/** What a failed call threw: its DomainError code, or the message of anything else. */
async function refusal(op: Promise<unknown>): Promise<string> {
  try {
    await op;
  } catch (error) {
    return error instanceof DomainError ? error.code : String(error);
  }
  return "no refusal";
}

describe("opening a SQLite file (SQLite only: these are the file's own settings)", () => {
  const sqlite = ENGINES[0];
  it("uses WAL with synchronous=NORMAL and a busy timeout, and migrates to the latest version", () => {
    const file = sqlite?.location() ?? "";
    const db = openDatabase(file);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(1);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    const again = openDatabase(file);
    expect(again.pragma("synchronous", { simple: true })).toBe(1);
    again.close();
  });

  it("upgrades a file written by an older jitbot, keeping its rows (SQLite: PostgreSQL began at 6)", async () => {
    const file = sqlite?.location() ?? "";
    const store = await Store.open(file);
    await submit(store);
    // Make it look like schema version 1: before the receipt columns, audit schemes and the probe row.
    await sql`ALTER TABLE requests DROP COLUMN receipt_channel`.execute(store.kysely);
    await sql`ALTER TABLE requests DROP COLUMN receipt_ts`.execute(store.kysely);
    await sql`ALTER TABLE audit_events DROP COLUMN scheme`.execute(store.kysely);
    await sql`DROP TABLE store_probe`.execute(store.kysely);
    await sql`DROP INDEX grants_due`.execute(store.kysely);
    await sql`CREATE INDEX grants_due ON grants(due_at) WHERE status = 'active'`.execute(store.kysely);
    await sql`DROP INDEX grants_end_untold`.execute(store.kysely);
    for (const column of [
      "revoke_requested_at",
      "revoke_requested_by",
      "lease_owner",
      "lease_until",
      "ended_told_at",
    ]) {
      await sql`ALTER TABLE grants DROP COLUMN ${sql.id(column)}`.execute(store.kysely);
    }
    for (const table of ["slack_deliveries", "replicas", "job_runs", "home_visitors", "audit_pending", "step_ups"])
      await sql`DROP TABLE ${sql.id(table)}`.execute(store.kysely);
    await sql`DROP INDEX requests_by_extends`.execute(store.kysely);
    await sql`DROP INDEX requests_break_glass`.execute(store.kysely);
    for (const column of ["break_glass_confirm_by", "break_glass_confirmed_by", "break_glass_confirmed_at"]) {
      await sql`ALTER TABLE requests DROP COLUMN ${sql.id(column)}`.execute(store.kysely);
    }
    await sql`PRAGMA user_version = 1`.execute(store.kysely);
    await store.close();
    const upgraded = await Store.open(file);
    const version = await sql<{ user_version: number }>`PRAGMA user_version`.execute(upgraded.kysely);
    expect(version.rows[0]?.user_version).toBe(SCHEMA_VERSION);
    await upgraded.requests.setReceipt("JR-TEST01", "DU0ALICE", "1.2");
    expect(await upgraded.verifyAudit()).toMatchObject({ ok: true, events: 1 });
    expect(await upgraded.requests.mustGet("JR-TEST01")).toMatchObject({ status: "pending", receiptTs: "1.2" });
    const columns = await sql<{ name: string }>`SELECT name FROM pragma_table_info('grants')`.execute(upgraded.kysely);
    expect(columns.rows).toEqual(
      expect.arrayContaining([{ name: "revoke_requested_at" }, { name: "lease_owner" }, { name: "lease_until" }]),
    );
    await upgraded.close();
  });
});

describe.each(ENGINES)("migrations ($name)", (engine) => {
  it("refuses a database from a newer jitbot, in one sentence", async () => {
    const location = engine.location();
    const store = await Store.open(location);
    if (engine.name === "sqlite")
      await sql`PRAGMA user_version = ${sql.raw(String(SCHEMA_VERSION + 1))}`.execute(store.kysely);
    else await sql`UPDATE jitbot_schema SET version = ${SCHEMA_VERSION + 1}`.execute(store.kysely);
    await store.close();
    await expect(Store.open(location)).rejects.toThrow(
      `database schema version ${SCHEMA_VERSION + 1} is newer than this jitbot (${SCHEMA_VERSION}); upgrade jitbot`,
    );
  });
});

describe.runIf(ENGINES.some((e) => e.name === "postgres"))("migrations (postgres)", () => {
  const postgres = ENGINES.find((e) => e.name === "postgres");
  it("upgrades a schema written by a jitbot of version 6, keeping its rows", async () => {
    const location = postgres?.location() ?? "";
    const store = await Store.open(location);
    // Rebuild the schema as version 6 left it, with a request in it.
    const schema = new URL(location).searchParams.get("schema") ?? "";
    await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(store.kysely);
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(store.kysely);
    await sql.raw(POSTGRES_MIGRATIONS[0]?.ddl ?? "").execute(store.kysely);
    await sql`CREATE TABLE jitbot_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`.execute(
      store.kysely,
    );
    await sql`INSERT INTO jitbot_schema VALUES (1, 6)`.execute(store.kysely);
    // This code queues audit events in a table version 6 lacked: lent for the write, then gone again.
    const queue = POSTGRES_MIGRATIONS.find((m) => m.reaches === 9)?.ddl ?? "";
    await sql.raw(queue).execute(store.kysely);
    await submit(store);
    await sql`DROP TABLE audit_pending`.execute(store.kysely);
    await store.close();
    const upgraded = await Store.open(location);
    const version = await sql<{ version: number }>`SELECT version FROM jitbot_schema`.execute(upgraded.kysely);
    expect(version.rows[0]?.version).toBe(SCHEMA_VERSION);
    expect(await upgraded.verifyAudit()).toMatchObject({ ok: true, events: 1 });
    expect(await upgraded.grants.claimDue(at, 10, "replica-a", 60_000)).toEqual([]);
    await upgraded.close();
  });
});

describe.each(ENGINES)("decisions ($name)", (engine) => {
  it("records a pending request and its audit event", async () => {
    const store = await engine.open();
    expect((await submit(store)).status).toBe("pending");
    expect(await store.verifyAudit()).toEqual({ ok: true, events: 1, keyed: 0, anchors: 0 });
    await store.close();
  });

  it("needs `required` distinct approvers, and one approver cannot count twice", async () => {
    const store = await engine.open();
    await submit(store);
    const decide = (approverId: string) =>
      store.requests.decide({ id: "JR-TEST01", approverId, decision: "approve", required: 2, at });
    expect((await decide("U0BOB")).kind).toBe("recorded");
    expect(await refusal(decide("U0BOB"))).toBe("ALREADY_DECIDED_BY_YOU");
    expect((await decide("U0CAROL")).kind).toBe("approved");
    await store.close();
  });

  it("lets exactly one of twenty simultaneous approvals through, the rest are refused", async () => {
    const store = await engine.open();
    await submit(store);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        try {
          const decided = await store.requests.decide({
            id: "JR-TEST01",
            approverId: `U0APP${i}`,
            decision: "approve",
            required: 1,
            at,
          });
          return decided.kind;
        } catch (error) {
          return (error as DomainError).code;
        }
      }),
    );
    expect(outcomes.filter((o) => o === "approved")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "ALREADY_DECIDED")).toHaveLength(19);
    await store.close();
  });

  it("counts two approvers deciding at the same moment: with two required, the request is approved", async () => {
    const store = await engine.open();
    await submit(store);
    const outcomes = await Promise.all(
      ["U0BOB", "U0CAROL"].map((approverId) =>
        store.requests.decide({ id: "JR-TEST01", approverId, decision: "approve", required: 2, at }),
      ),
    );
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["approved", "recorded"]);
    expect((await store.requests.mustGet("JR-TEST01")).status).toBe("approved");
    await store.close();
  });

  it("refuses to approve a denied request", async () => {
    const store = await engine.open();
    await submit(store);
    await store.requests.decide({
      id: "JR-TEST01",
      approverId: "U0BOB",
      decision: "deny",
      required: 1,
      at,
      note: "no",
    });
    expect(
      await refusal(
        store.requests.decide({ id: "JR-TEST01", approverId: "U0CAROL", decision: "approve", required: 1, at }),
      ),
    ).toBe("ALREADY_DECIDED");
    expect(await store.requests.mustGet("JR-TEST01")).toMatchObject({ status: "denied", decisionNote: "no" });
    await store.close();
  });
});

describe.each(ENGINES)("grants ($name)", (engine) => {
  it("moves granting → active → ended once, and a second end changes nothing", async () => {
    const store = await engine.open();
    await submit(store);
    await store.requests.decide({ id: "JR-TEST01", approverId: "U0BOB", decision: "approve", required: 1, at });
    const expiresAt = new Date(at.getTime() + 3600_000);
    await store.grants.start({ requestId: "JR-TEST01", provider: "entra-group", at, expiresAt });
    expect(await store.grants.inFlight()).toHaveLength(1);
    await store.grants.activate({ requestId: "JR-TEST01", state: { userId: "u1" }, at, expiresAt });
    expect((await store.requests.mustGet("JR-TEST01")).status).toBe("active");
    expect(await store.grants.due(expiresAt, 10)).toHaveLength(1);
    expect(await store.grants.nextDueAt()).toEqual(expiresAt);
    const end = {
      requestId: "JR-TEST01",
      reason: "expired" as const,
      at: expiresAt,
      actor: "jitbot",
      detail: "removed",
    };
    const ended = await store.grants.end(end);
    // What the ending transaction wrote comes back with it, as a fresh read would show it.
    expect(ended?.request).toEqual(await store.requests.mustGet("JR-TEST01"));
    expect(ended?.grant).toEqual(await store.grants.get("JR-TEST01"));
    expect(ended?.grant.status).toBe("ended");
    expect(await store.grants.end(end)).toBeUndefined();
    expect((await store.requests.mustGet("JR-TEST01")).status).toBe("expired");
    expect(await store.grants.nextDueAt()).toBeUndefined();
    await store.close();
  });

  it("pages through due grants that share one due time, each once", async () => {
    const store = await engine.open();
    for (let i = 0; i < 7; i++) await granted(store, `JR-PAGE0${i}`);
    const expiresAt = new Date(at.getTime() + 3600_000);
    const seen: string[] = [];
    let page = await store.grants.duePage(expiresAt, 3);
    seen.push(...page.grants.map((g) => g.requestId));
    while (page.next) {
      page = await store.grants.duePage(expiresAt, 3, page.next);
      seen.push(...page.grants.map((g) => g.requestId));
    }
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `JR-PAGE0${i}`));
    await store.close();
  });
});

describe.each(ENGINES)("extension chains ($name)", (engine) => {
  it("ending a grant ends the chain under it, and a grant an older jitbot made for a deeper link is made due", async () => {
    const store = await engine.open();
    await granted(store, "JR-ROOT01");
    // Applied extension: active, no grant of its own.
    await submit(store, "JR-EXT001", "JR-ROOT01");
    await store.requests.decide({ id: "JR-EXT001", approverId: "U0BOB", decision: "approve", required: 1, at });
    await store.requests.transition({ id: "JR-EXT001", from: "approved", event: "activate", at, actor: "jitbot" });
    // What jitbot did before extensions were resolved to their root: a grant for an extension's extension.
    await granted(store, "JR-EXT002", "JR-EXT001");
    expect((await store.requests.rootOf("JR-EXT002")).id).toBe("JR-ROOT01");

    const later = new Date(at.getTime() + 60_000);
    await store.grants.end({
      requestId: "JR-ROOT01",
      reason: "revoked",
      at: later,
      actor: "U0ALICE",
      detail: "removed",
    });
    expect((await store.requests.mustGet("JR-EXT001")).status).toBe("revoked");
    expect(await store.grants.get("JR-EXT002")).toMatchObject({ status: "active", endReason: "revoked", dueAt: later });
    expect((await store.grants.due(later, 10)).map((g) => g.requestId)).toEqual(["JR-EXT002"]);
    await store.close();
  });
});

describe.each(ENGINES)("withdrawing after approval ($name)", (engine) => {
  it("cancels an approved request with no grant, records the intent on one in flight, and starts no grant after", async () => {
    const store = await engine.open();
    await submit(store, "JR-NOTYET");
    await store.requests.decide({ id: "JR-NOTYET", approverId: "U0BOB", decision: "approve", required: 1, at });
    expect(await store.grants.requestEnd("JR-NOTYET", at, "U0ALICE")).toBe("cancelled");
    const expiresAt = new Date(at.getTime() + 3600_000);
    expect(await store.grants.start({ requestId: "JR-NOTYET", provider: "entra-group", at, expiresAt })).toBe(false);
    expect(await store.grants.get("JR-NOTYET")).toBeUndefined();

    await submit(store, "JR-FLIGHT");
    await store.requests.decide({ id: "JR-FLIGHT", approverId: "U0BOB", decision: "approve", required: 1, at });
    await store.grants.start({ requestId: "JR-FLIGHT", provider: "entra-group", at, expiresAt });
    expect(await store.grants.requestEnd("JR-FLIGHT", at, "U0BOB")).toBe("revoke_after_grant");
    const done = new Date(at.getTime() + 5_000);
    await store.grants.activate({ requestId: "JR-FLIGHT", state: { userId: "u1" }, at: done, expiresAt });
    expect(await store.grants.get("JR-FLIGHT")).toMatchObject({
      status: "active",
      endReason: "revoked",
      dueAt: done,
      revokeRequestedBy: "U0BOB",
    });
    expect(await store.grants.requestEnd("JR-TEST01", at, "U0ALICE")).toBeUndefined();
    await store.close();
  });
});

describe.each(ENGINES)("the audit chain ($name)", (engine) => {
  it("is append-only and reports the first row someone edited", async () => {
    const store = await engine.open();
    await submit(store, "JR-AAAAAA");
    await submit(store, "JR-BBBBBB");
    await submit(store, "JR-CCCCCC");
    await expect(store.kysely.updateTable("audit_events").set({ actor: "mallory" }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(store.kysely.deleteFrom("audit_events").execute()).rejects.toThrow(/append-only/);
    // Someone with the database can drop the trigger; the chain still shows the edit.
    await dropAuditGuards(store);
    await store.kysely.updateTable("audit_events").set({ actor: "mallory" }).where("seq", "=", 2).execute();
    expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2 });
    await store.close();
  });

  it("reads one request's trail in order", async () => {
    const store = await engine.open();
    await submit(store, "JR-TRAIL1");
    await store.requests.decide({ id: "JR-TRAIL1", approverId: "U0BOB", decision: "deny", required: 1, at });
    expect((await store.auditTrail("JR-TRAIL1")).map((row) => [row.seq, row.action])).toEqual([
      [1, "request.submitted"],
      [2, "request.denied"],
    ]);
    await store.close();
  });
});

describe.each(ENGINES)("what the reaper, the drift report and /metrics read ($name)", (engine) => {
  it("lists live grants and approvals not yet granted, and remembers reported findings", async () => {
    const store = await engine.open();
    await granted(store, "JR-LIVE1");
    await submit(store, "JR-WAIT1");
    await store.requests.decide({ id: "JR-WAIT1", approverId: "U0BOB", decision: "approve", required: 1, at });
    await submit(store, "JR-PEND1");
    const live = await store.findings.live();
    expect(live.map((f) => [f.requestId, f.requestStatus, f.grantStatus]).sort()).toEqual([
      ["JR-LIVE1", "active", "active"],
      ["JR-WAIT1", "approved", undefined],
    ]);
    expect(await store.findings.request("JR-LIVE1")).toMatchObject({ state: { userId: "u1" }, startedAt: at });
    expect((await store.findings.startedSince(["aks-prod-sre"], at)).map((f) => f.requestId)).toEqual(["JR-LIVE1"]);
    await store.findings.settle("aks-prod-sre", new Map([["u2", "fp-1"]]), at);
    await store.findings.settle("aks-prod-sre", new Map([["u3", "fp-2"]]), at);
    expect(await store.findings.reported("aks-prod-sre")).toEqual(new Map([["u3", "fp-2"]]));
    expect(await store.gauges()).toEqual({
      requestsByStatus: { active: 1, approved: 1, pending: 1 },
      activeGrants: 1,
    });
    await store.close();
  });
});
