import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { insertRequest } from "../../test/support/store-rows.js";
import { tempDir } from "../../test/support/temp.js";
import { DomainError } from "../domain/errors.js";
import { openDatabase, SCHEMA_VERSION } from "./db.js";
import { Store } from "./index.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const freshStore = () => Store.open(join(tmp.dir, `store-${n++}.db`));
const at = new Date("2026-03-02T10:00:00Z");

function submit(store: Store, id = "JR-TEST01", extendsRequestId?: string) {
  return insertRequest(store, id, at, extendsRequestId);
}

/** Approved and granted (with a grant row of its own), as an ordinary request is. */
function granted(store: Store, id: string, extendsRequestId?: string) {
  submit(store, id, extendsRequestId);
  store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
  const expiresAt = new Date(at.getTime() + 3600_000);
  store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
  store.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
}

describe("opening the database", () => {
  it("uses WAL with synchronous=NORMAL and a busy timeout, and migrates to the latest version", () => {
    const file = join(tmp.dir, "pragmas.db");
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
});

describe("migrations", () => {
  it("upgrades a database written by an older jitbot, keeping its rows", () => {
    const file = join(tmp.dir, "old.db");
    const store = Store.open(file);
    submit(store);
    // Make it look like schema version 1: before the receipt columns, audit schemes and the probe row.
    store.db.exec("ALTER TABLE requests DROP COLUMN receipt_channel; ALTER TABLE requests DROP COLUMN receipt_ts");
    store.db.exec("ALTER TABLE audit_events DROP COLUMN scheme; DROP TABLE store_probe");
    store.db.exec(
      "ALTER TABLE grants DROP COLUMN revoke_requested_at; ALTER TABLE grants DROP COLUMN revoke_requested_by",
    );
    store.db.pragma("user_version = 1");
    store.close();
    const upgraded = Store.open(file);
    expect(upgraded.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    upgraded.requests.setReceipt("JR-TEST01", "DU0ALICE", "1.2");
    expect(upgraded.verifyAudit()).toMatchObject({ ok: true, events: 1 });
    expect(upgraded.requests.mustGet("JR-TEST01")).toMatchObject({ status: "pending", receiptTs: "1.2" });
    const grantColumns = upgraded.db.prepare("SELECT name FROM pragma_table_info('grants')").all();
    expect(grantColumns).toEqual(
      expect.arrayContaining([{ name: "revoke_requested_at" }, { name: "revoke_requested_by" }]),
    );
    upgraded.close();
  });

  it("refuses a database from a newer jitbot", () => {
    const file = join(tmp.dir, "newer.db");
    const store = Store.open(file);
    store.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    store.close();
    expect(() => Store.open(file)).toThrow(/newer than this jitbot/);
  });
});

describe("decisions", () => {
  it("records a pending request and its audit event", () => {
    const store = freshStore();
    expect(submit(store).status).toBe("pending");
    expect(store.verifyAudit()).toEqual({ ok: true, events: 1, keyed: 0, anchors: 0 });
  });

  it("needs `required` distinct approvers, and one approver cannot count twice", () => {
    const store = freshStore();
    submit(store);
    const first = store.requests.decide({ id: "JR-TEST01", approverId: "U0BOB", decision: "approve", required: 2, at });
    expect(first.kind).toBe("recorded");
    expect(() =>
      store.requests.decide({ id: "JR-TEST01", approverId: "U0BOB", decision: "approve", required: 2, at }),
    ).toThrow(new DomainError("ALREADY_DECIDED_BY_YOU"));
    const second = store.requests.decide({
      id: "JR-TEST01",
      approverId: "U0CAROL",
      decision: "approve",
      required: 2,
      at,
    });
    expect(second.kind).toBe("approved");
  });

  it("lets exactly one of twenty approvals through, the rest are refused", () => {
    const store = freshStore();
    submit(store);
    const outcomes = Array.from({ length: 20 }, (_, i) => {
      try {
        return store.requests.decide({ id: "JR-TEST01", approverId: `U0APP${i}`, decision: "approve", required: 1, at })
          .kind;
      } catch (error) {
        return (error as DomainError).code;
      }
    });
    expect(outcomes.filter((o) => o === "approved")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "ALREADY_DECIDED")).toHaveLength(19);
  });

  it("refuses to approve a denied request", () => {
    const store = freshStore();
    submit(store);
    store.requests.decide({ id: "JR-TEST01", approverId: "U0BOB", decision: "deny", required: 1, at, note: "no" });
    expect(() =>
      store.requests.decide({ id: "JR-TEST01", approverId: "U0CAROL", decision: "approve", required: 1, at }),
    ).toThrow(/ALREADY_DECIDED/);
    expect(store.requests.mustGet("JR-TEST01")).toMatchObject({ status: "denied", decisionNote: "no" });
  });
});

describe("grants", () => {
  it("moves granting → active → ended once, and a second end changes nothing", () => {
    const store = freshStore();
    submit(store);
    store.requests.decide({ id: "JR-TEST01", approverId: "U0BOB", decision: "approve", required: 1, at });
    const expiresAt = new Date(at.getTime() + 3600_000);
    store.grants.start({ requestId: "JR-TEST01", provider: "entra-group", at, expiresAt });
    expect(store.grants.inFlight()).toHaveLength(1);
    store.grants.activate({ requestId: "JR-TEST01", state: { userId: "u1" }, at, expiresAt });
    expect(store.requests.mustGet("JR-TEST01").status).toBe("active");
    expect(store.grants.due(expiresAt, 10)).toHaveLength(1);
    expect(store.grants.nextDueAt()).toEqual(expiresAt);
    const end = {
      requestId: "JR-TEST01",
      reason: "expired" as const,
      at: expiresAt,
      actor: "jitbot",
      detail: "removed",
    };
    expect(store.grants.end(end)).toBe(true);
    expect(store.grants.end(end)).toBe(false);
    expect(store.requests.mustGet("JR-TEST01").status).toBe("expired");
    expect(store.grants.nextDueAt()).toBeUndefined();
  });
});

describe("extension chains", () => {
  it("ending a grant ends the chain under it, and a grant an older jitbot made for a deeper link is made due", () => {
    const store = freshStore();
    granted(store, "JR-ROOT01");
    // Applied extension: active, no grant of its own.
    submit(store, "JR-EXT001", "JR-ROOT01");
    store.requests.decide({ id: "JR-EXT001", approverId: "U0BOB", decision: "approve", required: 1, at });
    store.requests.transition({ id: "JR-EXT001", from: "approved", event: "activate", at, actor: "jitbot" });
    // What jitbot did before extensions were resolved to their root: a grant for an extension's extension.
    granted(store, "JR-EXT002", "JR-EXT001");
    expect(store.requests.rootOf("JR-EXT002").id).toBe("JR-ROOT01");

    const later = new Date(at.getTime() + 60_000);
    store.grants.end({ requestId: "JR-ROOT01", reason: "revoked", at: later, actor: "U0ALICE", detail: "removed" });
    expect(store.requests.mustGet("JR-EXT001").status).toBe("revoked");
    expect(store.grants.get("JR-EXT002")).toMatchObject({ status: "active", endReason: "revoked", dueAt: later });
    expect(store.grants.due(later, 10).map((g) => g.requestId)).toEqual(["JR-EXT002"]);
  });
});

describe("withdrawing after approval", () => {
  it("cancels an approved request with no grant, records the intent on one in flight, and starts no grant after", () => {
    const store = freshStore();
    submit(store, "JR-NOTYET");
    store.requests.decide({ id: "JR-NOTYET", approverId: "U0BOB", decision: "approve", required: 1, at });
    expect(store.grants.requestEnd("JR-NOTYET", at, "U0ALICE")).toBe("cancelled");
    const expiresAt = new Date(at.getTime() + 3600_000);
    expect(store.grants.start({ requestId: "JR-NOTYET", provider: "entra-group", at, expiresAt })).toBe(false);
    expect(store.grants.get("JR-NOTYET")).toBeUndefined();

    submit(store, "JR-FLIGHT");
    store.requests.decide({ id: "JR-FLIGHT", approverId: "U0BOB", decision: "approve", required: 1, at });
    store.grants.start({ requestId: "JR-FLIGHT", provider: "entra-group", at, expiresAt });
    expect(store.grants.requestEnd("JR-FLIGHT", at, "U0BOB")).toBe("revoke_after_grant");
    const done = new Date(at.getTime() + 5_000);
    store.grants.activate({ requestId: "JR-FLIGHT", state: { userId: "u1" }, at: done, expiresAt });
    expect(store.grants.get("JR-FLIGHT")).toMatchObject({
      status: "active",
      endReason: "revoked",
      dueAt: done,
      revokeRequestedBy: "U0BOB",
    });
    expect(store.grants.requestEnd("JR-TEST01", at, "U0ALICE")).toBeUndefined();
  });
});

describe("the audit chain", () => {
  it("is append-only and reports the first row someone edited", () => {
    const store = freshStore();
    submit(store, "JR-AAAAAA");
    submit(store, "JR-BBBBBB");
    submit(store, "JR-CCCCCC");
    expect(() => store.db.prepare("UPDATE audit_events SET actor = 'mallory'").run()).toThrow(/append-only/);
    // Someone with the file can drop the trigger; the chain still shows the edit.
    store.db.exec("DROP TRIGGER audit_events_no_update");
    store.db.prepare("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2").run();
    expect(store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2 });
  });
});
