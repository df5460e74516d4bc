import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { describe, expect, it } from "vitest";
import { engines } from "../../test/support/postgres.js";
import { dropAuditGuards, openRaw } from "../../test/support/store-rows.js";
import { type AuditRow, GENESIS, hashOf, verifyAudit } from "./audit.js";
import { anchorJson, parseAnchor, signAnchor } from "./audit-anchor.js";
import { NoDatabaseError, StoreRefusal } from "./errors.js";
import { openForReading, Store } from "./index.js";
import type { Database } from "./schema.js";

const KEY = "audit-chain-test-key-0123456789abcdef0123";
const OTHER_KEY = "another-key-entirely-0123456789abcdef0123";

describe("the audit chain's links", () => {
  it("makes each row's hash depend on the previous row's hash", () => {
    const row = { seq: 2, at: 1, actor: "U0LEAD", action: "request.approved", request_id: "r2", detail: "{}" };
    expect(hashOf({ ...row, prev_hash: "a".repeat(64) })).not.toBe(hashOf({ ...row, prev_hash: "b".repeat(64) }));
  });
});

describe("a chain written before schema 3 (no scheme column)", () => {
  it("verifies as the plain sha256 chain it is, read before any migration", async () => {
    // What `jitbot audit verify` reads from a file an older jitbot wrote: no `scheme` column yet.
    const file = new BetterSqlite3(":memory:");
    file.exec(`CREATE TABLE audit_events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,
      action TEXT NOT NULL, request_id TEXT, detail TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`);
    let prev = GENESIS;
    for (const seq of [1, 2]) {
      const row = {
        seq,
        at: seq * 1_000,
        actor: "U0LEAD",
        action: "request.approved",
        request_id: `r${seq}`,
        detail: "{}",
      };
      const hash = hashOf({ ...row, prev_hash: prev });
      file
        .prepare("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .run(seq, row.at, row.actor, row.action, row.request_id, row.detail, prev, hash);
      prev = hash;
    }
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
    try {
      expect(await verifyAudit(db)).toEqual({ ok: true, events: 2, keyed: 0, anchors: 0 });
    } finally {
      await db.destroy();
    }
  });
});

const ENGINES = engines();

describe.runIf(ENGINES.length === 2)("one chain format for both engines", () => {
  it("gives the same events the same hashes whichever engine wrote them", async () => {
    const hashes = await Promise.all(
      ENGINES.map(async (engine) => {
        const store = await engine.open({ auditKey: KEY, now: () => new Date(Date.UTC(2026, 0, 5, 9)) });
        for (let i = 1; i <= 3; i++) {
          await store.audit({
            at: new Date(Date.UTC(2026, 0, 5, 9, i)),
            actor: "U0LEAD",
            action: "request.approved",
            requestId: `r${i}`,
            detail: { approvals: i, note: 'ü ✓ "quoted"' },
          });
        }
        const rows = await store.kysely.selectFrom("audit_events").select(["seq", "hash"]).orderBy("seq").execute();
        await store.close();
        return rows;
      }),
    );
    expect(hashes[0]).toHaveLength(4);
    expect(hashes[1]).toEqual(hashes[0]);
  });
});

describe.each(ENGINES)("the audit chain ($name)", (engine) => {
  /** A database with `events` audit rows, written with `key` (or unkeyed). */
  async function chain(events: number, key?: string): Promise<string> {
    const location = engine.location();
    const store = await Store.open(location, { auditKey: key, now: () => new Date(Date.UTC(2026, 0, 5, 9)) });
    for (let i = 1; i <= events; i++) {
      await store.audit({
        at: new Date(Date.UTC(2026, 0, 5, 9, i)),
        actor: "U0LEAD",
        action: "request.approved",
        requestId: `r${i}`,
      });
    }
    await store.close();
    return location;
  }

  /** What someone with the database can do: the append-only triggers only stop honest mistakes. */
  async function attacker(location: string) {
    const raw = openRaw(location);
    await dropAuditGuards(raw);
    const rowOf = async (seq: number): Promise<AuditRow> =>
      raw.kysely.selectFrom("audit_events").selectAll().where("seq", "=", seq).executeTakeFirstOrThrow();
    const rewrite = (seq: number, set: Partial<AuditRow>) =>
      raw.kysely.updateTable("audit_events").set(set).where("seq", "=", seq).execute();
    /** Relabels rows from `from` on as plain sha256 and recomputes every hash and link after them. */
    const reforgeUnkeyed = async (from: number) => {
      const rows = await raw.kysely
        .selectFrom("audit_events")
        .selectAll()
        .where("seq", ">=", from)
        .orderBy("seq")
        .execute();
      let previous = from === 1 ? "0".repeat(64) : (await rowOf(from - 1)).hash;
      for (const row of rows) {
        const hash = hashOf({ ...row, prev_hash: previous });
        await rewrite(row.seq, { scheme: "sha256", prev_hash: previous, hash });
        previous = hash;
      }
    };
    return { ...raw, rowOf, rewrite, reforgeUnkeyed };
  }

  async function verify(location: string, key?: string, anchors: string[] = []) {
    const reader = await openForReading(location, { auditKey: key });
    try {
      return await reader.verifyAudit(
        anchors.map((line) => parseAnchor(line) as Exclude<ReturnType<typeof parseAnchor>, string>),
      );
    } finally {
      await reader.close();
    }
  }

  it("reads nothing where there is no jitbot database, rather than call an empty log intact", async () => {
    const location = engine.location();
    const refusal = await openForReading(location).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(NoDatabaseError);
    expect((refusal as Error).message).toMatch(
      engine.name === "sqlite"
        ? /^there is no database at .* \(set JITBOT_DB to the bot's database file\)$/
        : /^there is no jitbot schema "jt_\w+" at postgres:\/\/\w+:\*\*\*@.* \(set JITBOT_DATABASE_URL, with \?schema= if the bot uses one\)$/,
    );
  });

  it("catches a rewritten row relinked into the chain: its successor's hash no longer matches", async () => {
    const location = await chain(5);
    const db = await attacker(location);
    // Rewrite event 3 with a fresh hash, then point event 4 at it, as a forger would.
    const forged = { ...(await db.rowOf(3)), actor: "U0MALLORY" };
    const forgedHash = hashOf(forged);
    await db.rewrite(3, { actor: forged.actor, hash: forgedHash });
    await db.rewrite(4, { prev_hash: forgedHash });
    await db.close();
    expect(await verify(location)).toEqual({
      ok: false,
      events: 4,
      brokenAt: 4,
      why: "contents do not match its hash",
    });
  });

  it("names a row deleted from the middle as missing", async () => {
    const location = await chain(5);
    const db = await attacker(location);
    await db.kysely.deleteFrom("audit_events").where("seq", "=", 3).execute();
    await db.close();
    expect(await verify(location)).toEqual({ ok: false, events: 3, brokenAt: 4, why: "row 3 is missing" });
  });

  it("catches a row relinked to another predecessor even when its own hash was recomputed", async () => {
    const location = await chain(5);
    const db = await attacker(location);
    const relinked = { ...(await db.rowOf(4)), prev_hash: "f".repeat(64) };
    await db.rewrite(4, { prev_hash: relinked.prev_hash, hash: hashOf(relinked) });
    await db.close();
    expect(await verify(location)).toEqual({ ok: false, events: 4, brokenAt: 4, why: "link to the previous row" });
  });

  it("refuses a row under a hash scheme it does not know, and a cut-short hash, with a verdict rather than a throw", async () => {
    const location = await chain(3);
    const db = await attacker(location);
    await db.rewrite(3, { scheme: "md5" });
    await db.rewrite(2, { hash: "abc" });
    await db.close();
    expect(await verify(location)).toEqual({
      ok: false,
      events: 2,
      brokenAt: 2,
      why: "contents do not match its hash",
    });
    const other = await chain(3);
    const db2 = await attacker(other);
    await db2.rewrite(3, { scheme: "md5" });
    await db2.close();
    expect(await verify(other)).toMatchObject({ ok: false, brokenAt: 3, why: 'unknown hash scheme "md5"' });
  });

  it("walks a chain longer than one page of reads, every row once", async () => {
    const location = await chain(0);
    const db = await attacker(location);
    let prev_hash = "0".repeat(64);
    const rows = [];
    for (let seq = 1; seq <= 2_001; seq++) {
      const row = {
        seq,
        at: seq,
        actor: "U0LEAD",
        action: "request.approved",
        request_id: `r${seq}`,
        detail: "{}",
        prev_hash,
      };
      prev_hash = hashOf(row);
      rows.push({ ...row, hash: prev_hash, scheme: "sha256" });
    }
    for (let i = 0; i < rows.length; i += 500)
      await db.kysely
        .insertInto("audit_events")
        .values(rows.slice(i, i + 500))
        .execute();
    await db.close();
    expect(await verify(location)).toEqual({ ok: true, events: 2_001, keyed: 0, anchors: 0 });
  });

  describe("keyed (JITBOT_AUDIT_KEY)", () => {
    it("verifies with its key, and starts with a keyed row saying the key is in use", async () => {
      const location = await chain(5, KEY);
      expect(await verify(location, KEY)).toEqual({ ok: true, events: 6, keyed: 6, anchors: 0 });
      const db = await attacker(location);
      expect(await db.rowOf(1)).toMatchObject({ actor: "jitbot", action: "audit.keyed", scheme: "hmac-sha256" });
      await db.close();
    });

    it("is not called intact without the key, nor with another key", async () => {
      const location = await chain(2, KEY);
      expect(await verify(location)).toMatchObject({
        ok: false,
        brokenAt: 1,
        why: "it is keyed: set JITBOT_AUDIT_KEY to verify it",
      });
      expect(await verify(location, OTHER_KEY)).toMatchObject({
        ok: false,
        brokenAt: 1,
        why: "contents do not match its hash (or JITBOT_AUDIT_KEY is not the key it was written with)",
      });
    });

    it("cannot be re-forged by whoever has the database: a recomputed row fails its keyed hash", async () => {
      const location = await chain(5, KEY);
      const db = await attacker(location);
      // Without the key the best a forger can do is a plain hash, left under the keyed scheme…
      const forged = { ...(await db.rowOf(3)), actor: "U0MALLORY" };
      await db.rewrite(3, { actor: forged.actor, hash: hashOf(forged) });
      await db.close();
      expect(await verify(location, KEY)).toMatchObject({ ok: false, brokenAt: 3 });
    });

    it("refuses rows re-forged as unkeyed after the key was set, even when every link is recomputed", async () => {
      const location = await chain(5, KEY);
      const db = await attacker(location);
      // …or to relabel the rows as plain sha256 and recompute the whole chain from there.
      await db.reforgeUnkeyed(4);
      await db.close();
      expect(await verify(location, KEY)).toMatchObject({
        ok: false,
        brokenAt: 4,
        why: "it is not keyed but follows keyed rows (re-forged without JITBOT_AUDIT_KEY)",
      });

      const whole = await chain(5, KEY);
      const all = await attacker(whole);
      await all.reforgeUnkeyed(1);
      await all.close();
      expect(await verify(whole, KEY)).toMatchObject({
        ok: false,
        why: "no row is keyed although JITBOT_AUDIT_KEY is set (the bot never ran with this key, or its keyed rows were re-forged)",
      });
    });

    it("calls an empty chain intact with the key set (nothing recorded yet, so nothing to re-forge)", async () => {
      const location = await chain(0);
      expect(await verify(location, KEY)).toEqual({ ok: true, events: 0, keyed: 0, anchors: 0 });
    });

    it("keeps older unkeyed rows verifiable: they may only come before the first keyed row", async () => {
      const location = await chain(3);
      const store = await Store.open(location, { auditKey: KEY });
      await store.audit({ at: new Date(), actor: "U0LEAD", action: "request.approved", requestId: "r4" });
      await store.close();
      expect(await verify(location, KEY)).toEqual({ ok: true, events: 5, keyed: 2, anchors: 0 });
    });

    it("refuses to start without the key, or with another key, instead of breaking the chain", async () => {
      const location = await chain(1, KEY);
      const refusal = async (key?: string) => {
        try {
          await (await Store.open(location, { auditKey: key })).close();
        } catch (error) {
          return error instanceof StoreRefusal ? [error.code, error.message] : error;
        }
        return "opened";
      };
      expect(await refusal()).toEqual([
        "AUDIT_KEY_MISSING",
        "the audit log is keyed but JITBOT_AUDIT_KEY is not set; set it to the key the log was written with",
      ]);
      expect(await refusal(OTHER_KEY)).toEqual([
        "AUDIT_KEY_MISMATCH",
        "JITBOT_AUDIT_KEY is not the key the audit log was written with (event 2 does not verify with it)",
      ]);
      expect(await refusal(KEY)).toBe("opened");
    });
  });

  describe("anchors published outside the database", () => {
    it("detect the newest rows deleted, which the chain alone cannot show", async () => {
      const location = await chain(5, KEY);
      const store = await Store.open(location, { auditKey: KEY });
      const anchor = anchorJson(await store.auditAnchor());
      await store.close();
      const db = await attacker(location);
      await db.kysely.deleteFrom("audit_events").where("seq", ">", 4).execute();
      await db.close();
      expect(await verify(location, KEY)).toMatchObject({ ok: true, events: 4 });
      expect(await verify(location, KEY, [anchor])).toMatchObject({
        ok: false,
        brokenAt: 6,
        why: "the chain ends at event 4 but an anchor names event 6: the newest rows were deleted",
      });
    });

    it("detect an anchored row re-forged with every later link recomputed (an unkeyed chain)", async () => {
      const location = await chain(5);
      const store = await Store.open(location);
      const anchor = anchorJson(await store.auditAnchor());
      await store.close();
      const db = await attacker(location);
      await db.rewrite(2, { actor: "U0MALLORY" });
      await db.reforgeUnkeyed(2);
      await db.close();
      expect(await verify(location)).toMatchObject({ ok: true, events: 5 });
      expect(await verify(location, undefined, [anchor])).toMatchObject({
        ok: false,
        brokenAt: 5,
        why: "its hash differs from the anchor published for it",
      });
    });

    it("accept the anchor of an empty chain, and report the newest of several anchors the chain no longer reaches", async () => {
      const location = await chain(0);
      const store = await Store.open(location);
      const anchors = [anchorJson(await store.auditAnchor())];
      for (let i = 1; i <= 5; i++) {
        await store.audit({ at: new Date(Date.UTC(2026, 0, 5, 9, i)), actor: "U0LEAD", action: "request.approved" });
        anchors.push(anchorJson(await store.auditAnchor()));
      }
      await store.close();
      const [empty, , , third, , fifth] = anchors as [string, string, string, string, string, string];
      expect(await verify(location, undefined, [empty, third, fifth])).toEqual({
        ok: true,
        events: 5,
        keyed: 0,
        anchors: 3,
      });
      const db = await attacker(location);
      await db.kysely.deleteFrom("audit_events").where("seq", ">", 2).execute();
      await db.close();
      expect(await verify(location, undefined, [third, fifth, empty])).toMatchObject({ ok: false, brokenAt: 5 });
    });

    it("check a signed anchor's hash without the key, and take an anchor published before the key was set", async () => {
      const location = await chain(2);
      let store = await Store.open(location);
      const head = await store.auditAnchor();
      await store.close();
      // Without JITBOT_AUDIT_KEY a signature cannot be checked, but the chain must still reach the anchor.
      const signedHead = anchorJson(signAnchor(head, Buffer.from(KEY)));
      expect(await verify(location, undefined, [signedHead])).toEqual({ ok: true, events: 2, keyed: 0, anchors: 1 });
      store = await Store.open(location, { auditKey: KEY });
      await store.audit({ at: new Date(), actor: "U0LEAD", action: "request.approved", requestId: "r3" });
      const signed = anchorJson(await store.auditAnchor());
      await store.close();
      const unsigned = anchorJson(head);
      // Opening with the key records that it is now keyed: that row and r3 are the keyed ones.
      expect(await verify(location, KEY, [unsigned, signed])).toEqual({ ok: true, events: 4, keyed: 2, anchors: 2 });
    });

    it("refuse an anchor not signed with the key (a forged one)", async () => {
      const location = await chain(2, KEY);
      const store = await Store.open(location, { auditKey: KEY });
      const real = await store.auditAnchor();
      await store.close();
      const forged = anchorJson({ ...signAnchor(real, Buffer.from(OTHER_KEY)) });
      expect(await verify(location, KEY, [anchorJson(real)])).toMatchObject({ ok: true, anchors: 1 });
      expect(await verify(location, KEY, [forged])).toMatchObject({
        ok: false,
        why: "its anchor's signature is not JITBOT_AUDIT_KEY's (a forged anchor)",
      });
    });
  });
});
