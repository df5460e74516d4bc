import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { NoDatabaseError } from "./errors.js";
import { createPrivately } from "./files.js";
import { newerSchema, SCHEMA_VERSION, SQLITE_MIGRATIONS } from "./migrations.js";

export { NoDatabaseError } from "./errors.js";
export { SCHEMA_VERSION } from "./migrations.js";

export type Db = Database.Database;

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
  if (current > SCHEMA_VERSION) throw new Error(newerSchema(current));
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[version] ?? "");
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
