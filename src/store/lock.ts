import { closeSync, openSync } from "node:fs";
import { hostname } from "node:os";
import Database from "better-sqlite3";
import { StoreRefusal } from "./errors.js";

/** The one-sentence refusal a second process gets. */
function inUse(file: string, holder: { pid?: number; host?: string }): StoreRefusal {
  const where = holder.host && holder.host !== hostname() ? ` on ${holder.host}` : "";
  const who =
    holder.pid === undefined ? "another jitbot process" : `another jitbot process (pid ${holder.pid}${where})`;
  return new StoreRefusal(
    "STORE_IN_USE",
    `${who} is using ${file}; one process per file — use JITBOT_DATABASE_URL for several replicas`,
  );
}

export interface StoreLock {
  release(): void;
}

/**
 * Short enough not to slow a refused start, long enough to outlast another starter's brief
 * hold while it checks its own claim (microseconds), so two simultaneous starts never both lose.
 */
const WAIT_MS = 250;

/**
 * One process per database file. The lock is SQLite's own write lock on a sidecar database,
 * `<file>.lock`, held for the life of the process: it is an OS file lock, so the kernel frees it
 * when the process dies however it dies (SIGKILL, OOM), and a crashed process never blocks a
 * restart. A PID file would need a liveness check that PID reuse in containers defeats.
 *
 * The holder's pid is written (committed) before the lock is taken for good, so a refused process
 * can name it: readers may read while the holder keeps its write transaction open. A process
 * that finds someone else's pid after re-taking the lock lost a race and tries again.
 */
export function acquireStoreLock(file: string): StoreLock {
  const path = `${file}.lock`;
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${WAIT_MS}`);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!tryBegin(db)) throw inUse(file, holderOf(db));
      db.exec("CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER, host TEXT)");
      db.prepare("INSERT OR REPLACE INTO holder (id, pid, host) VALUES (1, ?, ?)").run(process.pid, hostname());
      db.exec("COMMIT");
      if (!tryBegin(db)) throw inUse(file, holderOf(db));
      const holder = holderOf(db);
      if (holder.pid === process.pid && holder.host === hostname()) {
        return {
          release: () => {
            if (db.open) db.close();
          },
        };
      }
      db.exec("ROLLBACK");
    }
    throw inUse(file, holderOf(db));
  } catch (error) {
    db.close();
    throw error;
  }
}

/** BEGIN IMMEDIATE takes the write lock now; SQLITE_BUSY means another connection holds it. */
function tryBegin(db: Database.Database): boolean {
  try {
    db.exec("BEGIN IMMEDIATE");
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "SQLITE_BUSY") return false;
    throw error;
  }
}

function holderOf(db: Database.Database): { pid?: number; host?: string } {
  try {
    const row = db.prepare("SELECT pid, host FROM holder WHERE id = 1").get() as
      | { pid: number; host: string }
      | undefined;
    return row ? { pid: row.pid, host: row.host } : {};
  } catch {
    return {};
  }
}
