import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anchorJson } from "../../src/store/audit-anchor.js";
import { Store } from "../../src/store/index.js";
import { freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { tempDir } from "../support/temp.js";
import { jitbot } from "./output.js";

let tmp: ReturnType<typeof tempDir>;
let dbFile: string;

beforeEach(async () => {
  tmp = tempDir("jitbot-audit-");
  dbFile = join(tmp.dir, "jitbot.db");
  const store = await Store.open(dbFile);
  for (let i = 1; i <= 5; i++) {
    await store.audit({
      at: new Date(Date.UTC(2026, 0, 5, 9, i)),
      actor: "U0LEAD",
      action: "request.approved",
      requestId: `r${i}`,
    });
  }
  await store.close();
});
afterEach(() => tmp.cleanup());

/** What someone with write access to the file could do: the triggers only stop honest mistakes. */
function tamper(sql: string): void {
  const db = new Database(dbFile);
  db.exec("DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;");
  db.exec(sql);
  db.close();
}

describe("jitbot audit verify", () => {
  it("confirms an intact chain (exit 0)", async () => {
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: dbFile });
    expect(code).toBe(0);
    expect(output).toBe("audit log intact: 5 events, every link verified\n");
  });

  it("reports the first broken link when a row was edited in the file (exit 1)", async () => {
    tamper("UPDATE audit_events SET actor = 'U0MALLORY' WHERE seq = 3");
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: dbFile });
    expect(code).toBe(1);
    expect(output).toBe("audit log BROKEN at event 3: contents do not match its hash (3 events read)\n");
  });

  it("reports a deleted row as missing (exit 1)", async () => {
    tamper("DELETE FROM audit_events WHERE seq = 2");
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: dbFile });
    expect(code).toBe(1);
    expect(output).toContain("audit log BROKEN at event 3: row 2 is missing");
  });

  it("refuses edits through SQL while the append-only triggers are in place", () => {
    const db = new Database(dbFile);
    expect(() => db.exec("UPDATE audit_events SET actor = 'x' WHERE seq = 1")).toThrow(/append-only/);
    db.close();
  });

  it("fails on a path that does not exist, and creates nothing there (exit 1)", async () => {
    const missing = join(tmp.dir, "elsewhere", "jitbot.db");
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: missing });
    expect(code).toBe(1);
    expect(output).toBe(
      `audit log not verified: there is no database at ${missing} (set JITBOT_DB to the bot's database file)\n`,
    );
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(tmp.dir, "elsewhere"))).toBe(false);
  });

  it("fails on a file that is not a jitbot database (exit 1)", async () => {
    const notes = join(tmp.dir, "notes.txt");
    writeFileSync(notes, "these are not the rows you are looking for\n".repeat(200));
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: notes });
    expect(code).toBe(1);
    expect(output).toBe(`audit log not verified: ${notes} is not a readable jitbot database (SQLITE_NOTADB)\n`);
  });

  it("does not migrate or otherwise write the file it checks", async () => {
    const before = readdirSync(tmp.dir).sort();
    await jitbot(["audit", "verify"], { JITBOT_DB: dbFile });
    const db = new Database(dbFile, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM audit_events").get()).toEqual({ n: 5 });
    db.close();
    expect(readdirSync(tmp.dir).filter((f) => !before.includes(f) && !/-(wal|shm)$/.test(f))).toEqual([]);
  });

  it("checks the chain against anchors from a log file and from --anchor, and catches the newest rows deleted", async () => {
    const store = await Store.open(dbFile);
    const anchor = anchorJson(await store.auditAnchor());
    await store.close();
    const log = join(tmp.dir, "jitbot.log");
    writeFileSync(
      log,
      [
        '{"level":30,"time":1767600000000,"msg":"jitbot is ready"}',
        `{"level":30,"time":1767600000001,${anchor.slice(1, -1)}}`,
        "not json at all",
      ].join("\n"),
    );
    const env = { JITBOT_DB: dbFile };
    expect(await jitbot(["audit", "verify", "--anchors", log, "--anchor", anchor], env)).toEqual({
      code: 0,
      output: "audit log intact: 5 events, every link verified (2 anchor(s) matched)\n",
    });
    tamper("DELETE FROM audit_events WHERE seq >= 4");
    expect(await jitbot(["audit", "verify"], env)).toMatchObject({ code: 0 });
    expect(await jitbot(["audit", "verify", "--anchors", log], env)).toEqual({
      code: 1,
      output:
        "audit log BROKEN at event 5: the chain ends at event 3 but an anchor names event 5: the newest rows were deleted (3 events read)\n",
    });
  });

  it("refuses an anchor it cannot read, with a sentence (exit 2)", async () => {
    const env = { JITBOT_DB: dbFile };
    expect(await jitbot(["audit", "verify", "--anchor", '{"seq":3}'], env)).toEqual({
      code: 2,
      output: "the --anchor given has no hash (64 hex digits)\n",
    });
    expect(await jitbot(["audit", "verify", "--anchors", join(tmp.dir, "none.log")], env)).toMatchObject({ code: 2 });
    expect(await jitbot(["audit", "verify", "--verbose"], env)).toMatchObject({ code: 2 });
  });

  it("checks keyed rows only with JITBOT_AUDIT_KEY, and refuses a key too short to be one", async () => {
    const keyed = join(tmp.dir, "keyed.db");
    const key = "audit-verify-cli-key-0123456789abcdef";
    const store = await Store.open(keyed, { auditKey: key });
    await store.audit({ at: new Date(), actor: "U0LEAD", action: "request.approved", requestId: "r1" });
    await store.close();
    expect(await jitbot(["audit", "verify"], { JITBOT_DB: keyed, JITBOT_AUDIT_KEY: key })).toEqual({
      code: 0,
      output: "audit log intact: 2 events, every link verified (2 keyed with JITBOT_AUDIT_KEY)\n",
    });
    expect(await jitbot(["audit", "verify"], { JITBOT_DB: keyed })).toEqual({
      code: 1,
      output: "audit log BROKEN at event 1: it is keyed: set JITBOT_AUDIT_KEY to verify it (1 events read)\n",
    });
    expect(await jitbot(["audit", "verify"], { JITBOT_DB: keyed, JITBOT_AUDIT_KEY: "short" })).toEqual({
      code: 2,
      output: "JITBOT_AUDIT_KEY is 5 characters; use at least 32 (openssl rand -hex 32)\n",
    });
  });
});

describe.runIf(testDatabaseUrl())("jitbot audit verify on PostgreSQL", () => {
  it("verifies the chain and counts the events committed but not yet linked into it", async () => {
    const location = freshSchemaUrl();
    const store = await Store.open(location);
    await store.audit({ at: new Date(), actor: "U0LEAD", action: "request.approved", requestId: "r1" });
    // What a replica stopped between its commit and its link pass leaves behind.
    await store.kysely
      .insertInto("audit_pending")
      .values({ at: Date.now(), actor: "U0LEAD", action: "request.approved", request_id: "r2", detail: "{}" })
      .execute();
    await store.close();
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DATABASE_URL: location });
    expect(code).toBe(0);
    expect(output).toBe(
      "audit log intact: 1 events, every link verified (1 more committed and waiting to be linked: the bot links them within seconds)\n",
    );
  });
});
