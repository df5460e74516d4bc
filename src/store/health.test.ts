import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
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

function storeWithRows(file: string, rows: number): void {
  const store = Store.open(file);
  store.db.transaction(() => {
    for (let i = 0; i < rows; i++) submit(store, `JR-H${String(i).padStart(5, "0")}`);
  })();
  store.close();
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

describe("store.health()", () => {
  it("is ok for a working store", () => {
    const store = Store.open(fileFor("ok"));
    expect(store.health()).toEqual({ ok: true });
    store.close();
  });

  it("reports a read-only database file (SQLite opens it read-only and every write fails)", () => {
    const file = fileFor("readonly");
    storeWithRows(file, 3);
    makeReadOnly(file);
    const store = Store.open(file);
    // Reads still work, which is why /jit list would look fine while every decision fails.
    expect(store.requests.listByStatus("pending", 10)).toHaveLength(3);
    expect(store.health()).toEqual({ ok: false, reason: "the database file is read-only (SQLITE_READONLY)" });
    store.close();
  });

  it("reports corrupted pages, found by quick_check off the event loop, and by any read that meets them", async () => {
    const file = fileFor("corrupt");
    storeWithRows(file, 3000);
    const pageSize = 4096;
    const pages = Math.floor(statSync(file).size / pageSize);
    expect(pages).toBeGreaterThan(20);
    // Garbage over a run of pages past the schema (page 1), as a failing disk or a bad copy leaves it.
    const fd = openSync(file, "r+");
    const garbage = Buffer.alloc(pageSize * 4, 0xa5);
    writeSync(fd, garbage, 0, garbage.length, Math.floor(pages / 2) * pageSize);
    closeSync(fd);

    const store = Store.open(file, { health: { integrityEveryMs: 3_600_000 } });
    // The first call starts the check in a worker and answers at once, from what it knows so far.
    expect(store.health()).toEqual({ ok: true });
    await store.checkIntegrity();
    const verdict = store.health();
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.reason).toMatch(/^the database file is corrupt/);
    store.close();

    const reader = Store.open(file, { health: { integrityEveryMs: 3_600_000 } });
    expect(() => reader.requests.listByStatus("pending", 5000)).toThrow(/malformed/);
    expect(reader.health()).toEqual({
      ok: false,
      reason: "the database file is corrupt (SQLITE_CORRUPT): restore it from a backup",
    });
    reader.close();
  });

  it("remembers the last fatal error a repository call met: a full disk fails writes, not the probe", () => {
    let now = 1_000_000;
    const store = Store.open(fileFor("full"), { health: { now: () => now, errorHoldMs: 60_000 } });
    submit(store, "JR-FULL0");
    expect(store.health()).toEqual({ ok: true });
    // SQLITE_FULL for real: the file may not grow past the pages it has.
    const pages = Number(store.db.pragma("page_count", { simple: true }));
    store.db.pragma(`max_page_count = ${pages}`);
    expect(() => {
      for (let i = 1; i < 500; i++) submit(store, `JR-FULL${i}`);
    }).toThrow(/full/);
    now += 10_000;
    expect(store.health()).toEqual({ ok: false, reason: "the disk holding the database is full (SQLITE_FULL)" });
    // Room again and no failed write for a minute: ready again.
    store.db.pragma("max_page_count = 1073741823");
    now += 60_000;
    expect(store.health()).toEqual({ ok: true });
    store.close();
  });

  it("says so when the store was closed", () => {
    const store = Store.open(fileFor("closed"));
    store.close();
    expect(store.health()).toEqual({ ok: false, reason: "the store is closed" });
  });
});
