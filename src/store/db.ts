import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { createPrivately } from "./files.js";

export type Db = Database.Database;

/** Versioned migrations: index + 1 is the schema version. Never edit one that has shipped. */
const MIGRATIONS: string[] = [
  `CREATE TABLE requests (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     requester_id TEXT NOT NULL,
     requester_name TEXT NOT NULL,
     requester_email TEXT,
     duration_seconds INTEGER NOT NULL,
     justification TEXT NOT NULL,
     ticket TEXT,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     decided_at INTEGER,
     decision_note TEXT,
     approval_channel TEXT,
     approval_ts TEXT,
     extends_request_id TEXT,
     approval_reminded_at INTEGER
   );
   CREATE INDEX requests_by_status ON requests(status, created_at);
   CREATE INDEX requests_by_requester ON requests(requester_id, status);
   CREATE TABLE approvals (
     request_id TEXT NOT NULL REFERENCES requests(id),
     approver_id TEXT NOT NULL,
     decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
     at INTEGER NOT NULL,
     PRIMARY KEY (request_id, approver_id)
   );
   CREATE TABLE grants (
     request_id TEXT PRIMARY KEY REFERENCES requests(id),
     provider TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('granting', 'active', 'ended', 'failed')),
     state TEXT NOT NULL DEFAULT '{}',
     started_at INTEGER NOT NULL,
     granted_at INTEGER,
     expires_at INTEGER NOT NULL,
     provider_expires_at INTEGER,
     due_at INTEGER NOT NULL,
     end_reason TEXT,
     ended_at INTEGER,
     revoke_attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     last_alert_at INTEGER,
     reminder_sent_at INTEGER,
     dm_channel TEXT,
     dm_ts TEXT,
     dm_has_secret INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX grants_due ON grants(due_at) WHERE status = 'active';
   CREATE INDEX grants_in_flight ON grants(status) WHERE status = 'granting';
   CREATE TABLE audit_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     request_id TEXT,
     detail TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
   CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;`,
  // 2: the requester's receipt DM, so its Withdraw button can be taken away once decided.
  `ALTER TABLE requests ADD COLUMN receipt_channel TEXT;
   ALTER TABLE requests ADD COLUMN receipt_ts TEXT;`,
  // 3: which hash each audit row uses (rows before it are all plain sha256), and the row the
  // store's health probe rewrites to prove the file still takes writes.
  `ALTER TABLE audit_events ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';
   CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
   INSERT INTO store_probe (id, at) VALUES (1, 0);`,
  // 4: a revoke asked for while the grant was in flight, honoured the moment the grant completes.
  `ALTER TABLE grants ADD COLUMN revoke_requested_at INTEGER;
   ALTER TABLE grants ADD COLUMN revoke_requested_by TEXT;`,
  // 5: each request modal files once: a replayed view_submission (same view id and hash) is ignored.
  `CREATE TABLE IF NOT EXISTS view_submissions (
     view_id TEXT NOT NULL,
     view_hash TEXT NOT NULL,
     user_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (view_id, view_hash)
   );
   CREATE INDEX IF NOT EXISTS view_submissions_by_age ON view_submissions(at);`,
  // 6: drift findings already reported, so each is posted once until it changes (src/store/findings.ts).
  `CREATE TABLE IF NOT EXISTS drift_findings (
     profile_id TEXT NOT NULL,
     finding_key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     reported_at INTEGER NOT NULL,
     PRIMARY KEY (profile_id, finding_key)
   );`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(file: string): Db {
  if (file !== ":memory:") createPrivately(file);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  // NORMAL is durable with WAL and is per-connection, so it is set on every open.
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  cacheStatements(db);
  migrate(db);
  return db;
}

export class NoDatabaseError extends Error {
  readonly code = "NO_DATABASE";
  constructor(readonly file: string) {
    super(`there is no database at ${file} (set JITBOT_DB to the bot's database file)`);
    this.name = "NoDatabaseError";
  }
}

/**
 * For the CLI's checks: read-only, never created, never migrated, and no lock taken, so they run
 * beside a live bot (WAL lets a reader see the last committed state while the bot writes).
 */
export function openForReading(file: string): Db {
  if (file === ":memory:" || !existsSync(file)) throw new NoDatabaseError(file);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
}

/**
 * The repositories call `db.prepare(sql)` at each use, and better-sqlite3 compiles the SQL every
 * time: in the benchmark that was ~10 % of a revoke's CPU. Statements are reusable, so each SQL text
 * is compiled once per connection. Bounded, in case a caller ever builds SQL from data.
 */
function cacheStatements(db: Db): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement<unknown[], unknown>>();
  // biome-ignore lint/complexity/noBannedTypes: the signature is better-sqlite3's own
  db.prepare = <P extends unknown[] | {} = unknown[], R = unknown>(source: string): Database.Statement<P, R> => {
    let statement = cache.get(source);
    if (!statement) {
      if (cache.size >= 1_000) cache.clear();
      statement = compile<unknown[], unknown>(source);
      cache.set(source, statement);
    }
    return statement as Database.Statement<P, R>;
  };
}

function migrate(db: Db): void {
  const current = Number(db.pragma("user_version", { simple: true }));
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this jitbot (${MIGRATIONS.length}); upgrade jitbot`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? "");
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
