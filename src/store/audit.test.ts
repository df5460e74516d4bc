import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/support/temp.js";
import { type AuditRow, hashOf } from "./audit.js";
import { anchorJson, parseAnchor, signAnchor } from "./audit-anchor.js";
import { StoreRefusal } from "./errors.js";
import { Store } from "./index.js";

const tmp = tempDir("jitbot-audit-chain-");
afterAll(() => tmp.cleanup());
let n = 0;
const KEY = "audit-chain-test-key-0123456789abcdef0123";
const OTHER_KEY = "another-key-entirely-0123456789abcdef0123";

/** A file with `events` audit rows, written with `key` (or unkeyed). */
function chain(events: number, key?: string): string {
  const file = join(tmp.dir, `chain-${n++}.db`);
  const store = Store.open(file, { auditKey: key, now: () => new Date(Date.UTC(2026, 0, 5, 9)) });
  for (let i = 1; i <= events; i++) {
    store.audit({
      at: new Date(Date.UTC(2026, 0, 5, 9, i)),
      actor: "U0LEAD",
      action: "request.approved",
      requestId: `r${i}`,
    });
  }
  store.close();
  return file;
}

/** What someone with the file can do: the append-only triggers only stop honest mistakes. */
function attacker(file: string): Database.Database {
  const db = new Database(file);
  db.exec("DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;");
  return db;
}

const rowOf = (db: Database.Database, seq: number) =>
  db.prepare("SELECT * FROM audit_events WHERE seq = ?").get(seq) as AuditRow;

function verify(file: string, key?: string, anchors: string[] = []) {
  const db = new Database(file, { readonly: true });
  const store = new Store(db, { auditKey: key });
  const verdict = store.verifyAudit(
    anchors.map((line) => parseAnchor(line) as Exclude<ReturnType<typeof parseAnchor>, string>),
  );
  db.close();
  return verdict;
}

describe("the audit chain's links", () => {
  it("makes each row's hash depend on the previous row's hash", () => {
    const row = { seq: 2, at: 1, actor: "U0LEAD", action: "request.approved", request_id: "r2", detail: "{}" };
    expect(hashOf({ ...row, prev_hash: "a".repeat(64) })).not.toBe(hashOf({ ...row, prev_hash: "b".repeat(64) }));
  });

  it("catches a rewritten row relinked into the chain: its successor's hash no longer matches", () => {
    const file = chain(5);
    const db = attacker(file);
    // Rewrite event 3 with a fresh hash, then point event 4 at it, as a forger would.
    const forged = { ...rowOf(db, 3), actor: "U0MALLORY" };
    const forgedHash = hashOf(forged);
    db.prepare("UPDATE audit_events SET actor = ?, hash = ? WHERE seq = 3").run(forged.actor, forgedHash);
    db.prepare("UPDATE audit_events SET prev_hash = ? WHERE seq = 4").run(forgedHash);
    db.close();
    expect(verify(file)).toEqual({ ok: false, events: 4, brokenAt: 4, why: "contents do not match its hash" });
  });
});

describe("a keyed chain (JITBOT_AUDIT_KEY)", () => {
  it("verifies with its key, and starts with a keyed row saying the key is in use", () => {
    const file = chain(5, KEY);
    expect(verify(file, KEY)).toEqual({ ok: true, events: 6, keyed: 6, anchors: 0 });
    const db = new Database(file, { readonly: true });
    expect(rowOf(db, 1)).toMatchObject({ actor: "jitbot", action: "audit.keyed", scheme: "hmac-sha256" });
    db.close();
  });

  it("is not called intact without the key, nor with another key", () => {
    const file = chain(2, KEY);
    expect(verify(file)).toMatchObject({
      ok: false,
      brokenAt: 1,
      why: "it is keyed: set JITBOT_AUDIT_KEY to verify it",
    });
    expect(verify(file, OTHER_KEY)).toMatchObject({
      ok: false,
      brokenAt: 1,
      why: "contents do not match its hash (or JITBOT_AUDIT_KEY is not the key it was written with)",
    });
  });

  it("cannot be re-forged by whoever has the file: a recomputed row fails its keyed hash", () => {
    const file = chain(5, KEY);
    const db = attacker(file);
    // Without the key the best a forger can do is a plain hash, left under the keyed scheme…
    const forged = { ...rowOf(db, 3), actor: "U0MALLORY" };
    db.prepare("UPDATE audit_events SET actor = ?, hash = ? WHERE seq = 3").run(forged.actor, hashOf(forged));
    db.close();
    expect(verify(file, KEY)).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it("refuses rows re-forged as unkeyed after the key was set, even when every link is recomputed", () => {
    const file = chain(5, KEY);
    const db = attacker(file);
    // …or to relabel the rows as plain sha256 and recompute the whole chain from there.
    reforgeUnkeyed(db, 4);
    db.close();
    expect(verify(file, KEY)).toMatchObject({
      ok: false,
      brokenAt: 4,
      why: "it is not keyed but follows keyed rows (re-forged without JITBOT_AUDIT_KEY)",
    });

    const whole = chain(5, KEY);
    const all = attacker(whole);
    reforgeUnkeyed(all, 1);
    all.close();
    expect(verify(whole, KEY)).toMatchObject({
      ok: false,
      why: "no row is keyed although JITBOT_AUDIT_KEY is set (the bot never ran with this key, or its keyed rows were re-forged)",
    });
  });

  it("keeps older unkeyed rows verifiable: they may only come before the first keyed row", () => {
    const file = chain(3);
    const store = Store.open(file, { auditKey: KEY });
    store.audit({ at: new Date(), actor: "U0LEAD", action: "request.approved", requestId: "r4" });
    store.close();
    expect(verify(file, KEY)).toEqual({ ok: true, events: 5, keyed: 2, anchors: 0 });
  });

  it("refuses to start without the key, or with another key, instead of breaking the chain", () => {
    const file = chain(1, KEY);
    const refusal = (key?: string) => {
      try {
        Store.open(file, { auditKey: key }).close();
      } catch (error) {
        return error instanceof StoreRefusal ? [error.code, error.message] : error;
      }
      return "opened";
    };
    expect(refusal()).toEqual([
      "AUDIT_KEY_MISSING",
      "the audit log is keyed but JITBOT_AUDIT_KEY is not set; set it to the key the log was written with",
    ]);
    expect(refusal(OTHER_KEY)).toEqual([
      "AUDIT_KEY_MISMATCH",
      "JITBOT_AUDIT_KEY is not the key the audit log was written with (event 2 does not verify with it)",
    ]);
    expect(refusal(KEY)).toBe("opened");
  });
});

describe("anchors published outside the database", () => {
  it("detect the newest rows deleted, which the chain alone cannot show", () => {
    const file = chain(5, KEY);
    const store = Store.open(file, { auditKey: KEY });
    const anchor = anchorJson(store.auditAnchor());
    store.close();
    const db = attacker(file);
    db.exec("DELETE FROM audit_events WHERE seq > 4");
    db.close();
    expect(verify(file, KEY)).toMatchObject({ ok: true, events: 4 });
    expect(verify(file, KEY, [anchor])).toMatchObject({
      ok: false,
      brokenAt: 6,
      why: "the chain ends at event 4 but an anchor names event 6: the newest rows were deleted",
    });
  });

  it("detect an anchored row re-forged with every later link recomputed (an unkeyed chain)", () => {
    const file = chain(5);
    const store = Store.open(file);
    const anchor = anchorJson(store.auditAnchor());
    store.close();
    const db = attacker(file);
    db.prepare("UPDATE audit_events SET actor = 'U0MALLORY' WHERE seq = 2").run();
    reforgeUnkeyed(db, 2);
    db.close();
    expect(verify(file)).toMatchObject({ ok: true, events: 5 });
    expect(verify(file, undefined, [anchor])).toMatchObject({
      ok: false,
      brokenAt: 5,
      why: "its hash differs from the anchor published for it",
    });
  });

  it("refuse an anchor not signed with the key (a forged one)", () => {
    const file = chain(2, KEY);
    const store = Store.open(file, { auditKey: KEY });
    const real = store.auditAnchor();
    store.close();
    const forged = anchorJson({ ...signAnchor(real, Buffer.from(OTHER_KEY)) });
    expect(verify(file, KEY, [anchorJson(real)])).toMatchObject({ ok: true, anchors: 1 });
    expect(verify(file, KEY, [forged])).toMatchObject({
      ok: false,
      why: "its anchor's signature is not JITBOT_AUDIT_KEY's (a forged anchor)",
    });
  });
});

/** Relabels rows from `from` on as plain sha256 and recomputes every hash and link after them. */
function reforgeUnkeyed(db: Database.Database, from: number): void {
  const rows = db.prepare("SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq").all(from) as AuditRow[];
  let previous = from === 1 ? "0".repeat(64) : rowOf(db, from - 1).hash;
  for (const row of rows) {
    const hash = hashOf({ ...row, prev_hash: previous });
    db.prepare("UPDATE audit_events SET scheme = 'sha256', prev_hash = ?, hash = ? WHERE seq = ?").run(
      previous,
      hash,
      row.seq,
    );
    previous = hash;
  }
}
