import { type AuditEvent, appendAudit, verifyAudit } from "./audit.js";
import { type Db, openDatabase } from "./db.js";
import { GrantRepo } from "./grants.js";
import { RequestRepo } from "./requests.js";

export type StoreHealth = { ok: true } | { ok: false; reason: string };

const HEALTH_CACHE_MS = 1_000;

function probe(db: Db): StoreHealth {
  if (!db.open) return { ok: false, reason: "the database is closed" };
  try {
    for (const table of ["requests", "grants", "audit_events"]) db.prepare(`SELECT max(rowid) FROM ${table}`).get();
  } catch (error) {
    return { ok: false, reason: sqliteReason(error, "cannot be read") };
  }
  try {
    db.transaction(() => {
      db.prepare("UPDATE requests SET id = id WHERE rowid = (SELECT max(rowid) FROM requests)").run();
      db.pragma(`user_version = ${Number(db.pragma("user_version", { simple: true }))}`);
      throw ROLLBACK;
    })();
  } catch (error) {
    if (error !== ROLLBACK) return { ok: false, reason: sqliteReason(error, "cannot be written") };
  }
  return { ok: true };
}

/** Thrown inside the probe's transaction so better-sqlite3 rolls it back. */
const ROLLBACK = new Error("health probe: roll back");

function sqliteReason(error: unknown, fallback: string): string {
  const code = error && typeof error === "object" && "code" in error ? String(error.code) : "";
  if (code.startsWith("SQLITE_READONLY")) return `the file is read-only (${code})`;
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return `the file is corrupted (${code})`;
  if (code.startsWith("SQLITE_FULL")) return `the disk is full (${code})`;
  if (code.startsWith("SQLITE_IOERR")) return `the disk failed a read or write (${code})`;
  return `the file ${fallback}${code ? ` (${code})` : ""}`;
}

/** The bot's durable state: one SQLite file, one writer (this process). */
export class Store {
  readonly requests: RequestRepo;
  readonly grants: GrantRepo;
  private lastHealth: { at: number; result: StoreHealth } | undefined;

  constructor(readonly db: Db) {
    this.requests = new RequestRepo(db);
    this.grants = new GrantRepo(db, this.requests);
  }

  static open(file: string): Store {
    return new Store(openDatabase(file));
  }

  audit(event: AuditEvent): void {
    appendAudit(this.db, event);
  }

  verifyAudit() {
    return verifyAudit(this.db);
  }

  /**
   * A cheap probe for /readyz, cached for a second: a write that is rolled back (a read-only file
   * or a full disk fail it) and a read down each table's right edge, where new rows land (a
   * corrupted page on that path fails it). Corruption elsewhere shows when a read reaches it.
   */
  health(): StoreHealth {
    const now = performance.now();
    if (this.lastHealth && now - this.lastHealth.at < HEALTH_CACHE_MS) return this.lastHealth.result;
    const result = probe(this.db);
    this.lastHealth = { at: now, result };
    return result;
  }

  isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
