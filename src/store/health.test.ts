import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/support/temp.js";
import { Store } from "./index.js";

const tmp = tempDir("jitbot-health-");
const immutable: string[] = [];
afterAll(() => {
  for (const file of immutable) execFileSync("chattr", ["-i", file]);
  tmp.cleanup();
});
let n = 0;
const fileFor = (name: string) => join(tmp.dir, `${name}-${n++}.db`);
const at = new Date("2026-03-02T10:00:00Z");

function submit(store: Store, id: string) {
  return store.requests.insert({
    id,
    profileId: "aks-prod-sre",
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: "alice@example.com",
    durationSeconds: 3600,
    justification: `debugging the ingress, attempt ${id}`,
    ticket: "OPS-1",
    createdAt: at,
    extendsRequestId: undefined,
  });
}

async function storeWithRows(file: string, rows: number): Promise<void> {
  const store = await Store.open(file);
  for (let i = 0; i < rows; i++) await submit(store, `JR-H${String(i).padStart(5, "0")}`);
  await store.close();
}

/**
 * A file the process cannot open for writing: chmod for an ordinary user; root ignores modes, so
 * as root the file is made immutable (chattr +i), which stops root too.
 */
function makeReadOnly(file: string): void {
  if (process.getuid?.() === 0) {
    execFileSync("chattr", ["+i", file]);
    immutable.push(file);
  } else chmodSync(file, 0o444);
}

/**
 * SQLite only: a read-only file, corrupted pages and a full disk are the file's failures; the
 * PostgreSQL side (an unreachable server) is health-postgres.test.ts.
 */
describe("store.health() on a SQLite file", () => {
  it("is ok for a working store", async () => {
    const store = await Store.open(fileFor("ok"));
    expect(store.health()).toEqual({ ok: true });
    await store.close();
  });

  it("reports a read-only database file (SQLite opens it read-only and every write fails)", async () => {
    const file = fileFor("readonly");
    await storeWithRows(file, 3);
    makeReadOnly(file);
    const store = await Store.open(file);
    // Reads still work, which is why /jit list would look fine while every decision fails.
    expect(await store.requests.listByStatus("pending", 10)).toHaveLength(3);
    expect(store.health()).toEqual({ ok: false, reason: "the database file is read-only (SQLITE_READONLY)" });
    await store.close();
  });

  it("reports corrupted pages, found by quick_check off the event loop, and by any read that meets them", async () => {
    const file = fileFor("corrupt");
    await storeWithRows(file, 3000);
    const pageSize = 4096;
    const pages = Math.floor(statSync(file).size / pageSize);
    expect(pages).toBeGreaterThan(20);
    // Garbage over a run of pages past the schema (page 1), as a failing disk or a bad copy leaves it.
    const fd = openSync(file, "r+");
    const garbage = Buffer.alloc(pageSize * 4, 0xa5);
    writeSync(fd, garbage, 0, garbage.length, Math.floor(pages / 2) * pageSize);
    closeSync(fd);

    const store = await Store.open(file, { health: { integrityEveryMs: 3_600_000 } });
    // The first call starts the check in a worker and answers at once, from what it knows so far.
    expect(store.health()).toEqual({ ok: true });
    await store.checkIntegrity();
    const verdict = store.health();
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.reason).toMatch(/^the database file is corrupt/);
    await store.close();

    const reader = await Store.open(file, { health: { integrityEveryMs: 3_600_000 } });
    await expect(reader.requests.listByStatus("pending", 5000)).rejects.toThrow(/malformed/);
    expect(reader.health()).toEqual({
      ok: false,
      reason: "the database file is corrupt (SQLITE_CORRUPT): restore it from a backup",
    });
    await reader.close();
  });

  it("remembers the last fatal error a repository call met: a full disk fails writes, not the probe", async () => {
    let now = 1_000_000;
    const store = await Store.open(fileFor("full"), { health: { now: () => now, errorHoldMs: 60_000 } });
    await submit(store, "JR-FULL0");
    expect(store.health()).toEqual({ ok: true });
    // SQLITE_FULL for real: the file may not grow past the pages it has.
    const pages = await sql<{ page_count: number }>`PRAGMA page_count`.execute(store.kysely);
    await sql`PRAGMA max_page_count = ${sql.raw(String(pages.rows[0]?.page_count))}`.execute(store.kysely);
    await expect(
      (async () => {
        for (let i = 1; i < 500; i++) await submit(store, `JR-FULL${i}`);
      })(),
    ).rejects.toThrow(/full/);
    now += 10_000;
    expect(store.health()).toEqual({ ok: false, reason: "the disk holding the database is full (SQLITE_FULL)" });
    // Room again and no failed write for a minute: ready again.
    await sql`PRAGMA max_page_count = 1073741823`.execute(store.kysely);
    now += 60_000;
    expect(store.health()).toEqual({ ok: true });
    await store.close();
  });

  it("says so when the store was closed", async () => {
    const store = await Store.open(fileFor("closed"));
    await store.close();
    expect(store.health()).toEqual({ ok: false, reason: "the store is closed" });
  });
});
