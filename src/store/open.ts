import { type DatabaseConnection, type Driver, Kysely, SqliteDialect, SqliteDriver } from "kysely";
import { type Clock, systemClock } from "../domain/clock.js";
import { type Db, openDatabase } from "./db.js";
import { Engine } from "./engine.js";
import { StoreRefusal } from "./errors.js";
import { type Exclusive, type ExclusiveOptions, inProcessExclusive, postgresExclusive } from "./exclusive.js";
import { createPrivately } from "./files.js";
import { HealthMonitor, type HealthSource, type HealthTimings } from "./health.js";
import { PostgresHealth, unreachableCode } from "./health-postgres.js";
import { ChangeListener } from "./listener.js";
import { acquireStoreLock } from "./lock.js";
import {
  advisoryKey,
  changeChannel,
  openPostgres,
  type PostgresOptions,
  type PostgresTarget,
  postgresTarget,
} from "./postgres.js";
import { migratePostgres } from "./postgres-migrate.js";
import type { Database } from "./schema.js";

/** An engine opened and migrated, with what watches it and what closes it. */
export interface Opened {
  engine: Engine;
  monitor: HealthSource;
  exclusive: Exclusive;
  isOpen(): boolean;
  close(): Promise<void>;
}

export interface OpenOptions extends PostgresOptions {
  auditKey?: Buffer;
  health?: Partial<HealthTimings>;
  /** Times the wait of `exclusive` (default: the system clock). */
  clock?: Clock;
  /** How long `exclusive` waits for a key another task or replica holds (default 30 s). */
  exclusiveWaitMs?: number;
}

function exclusiveOptions(options: OpenOptions): ExclusiveOptions {
  return { clock: options.clock ?? systemClock, waitMs: options.exclusiveWaitMs ?? 30_000 };
}

/**
 * SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR…); Kysely's
 * own ROLLBACK would then fail with "no transaction is active" and hide the error that matters.
 */
class SqliteDriverKeepingErrors extends SqliteDriver {
  constructor(private readonly raw: Db) {
    super({ database: raw });
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.raw.inTransaction) await super.rollbackTransaction(connection);
  }
}

class JitbotSqliteDialect extends SqliteDialect {
  constructor(private readonly raw: Db) {
    super({ database: raw });
  }

  override createDriver(): Driver {
    return new SqliteDriverKeepingErrors(this.raw);
  }
}

export function sqliteKysely(db: Db): Kysely<Database> {
  return new Kysely<Database>({ dialect: new JitbotSqliteDialect(db) });
}

/**
 * The SQLite file of old: created private, its one-process lock taken before anything else, so a
 * second process is refused before it migrates or reconciles anything.
 */
export function openSqlite(file: string, options: OpenOptions): Opened {
  const memory = file === ":memory:";
  if (!memory) createPrivately(file);
  const lock = memory ? undefined : acquireStoreLock(file);
  let db: Db | undefined;
  try {
    db = openDatabase(file);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const raw = db;
  // The file lock proves no other process is alive on this file: every lease is a dead process's.
  // Read first: a file that cannot take writes is for the health monitor to report, not to refuse here.
  if (raw.prepare("SELECT 1 FROM grants WHERE lease_owner IS NOT NULL LIMIT 1").get()) {
    raw.prepare("UPDATE grants SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL").run();
  }
  const kysely = sqliteKysely(raw);
  let closed = false;
  return {
    engine: new Engine({ kind: "sqlite", db: kysely, auditKey: options.auditKey }),
    monitor: new HealthMonitor(raw, file, options.health),
    // One process per file: serialising within it is serialising everywhere.
    exclusive: inProcessExclusive(exclusiveOptions(options)),
    isOpen: () => raw.open,
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
      lock?.release();
    },
  };
}

/** Connections kept for plain reads beside the writing pool (Engine.reads). */
const READ_POOL_SIZE = 4;

export async function openPostgresEngine(url: string, options: OpenOptions): Promise<Opened> {
  const target = postgresTarget(url, options);
  // The probe needs the pool and the pool reports to the monitor: the monitor comes first.
  let probeDb: Kysely<Database> | undefined;
  const monitor = new PostgresHealth(async (at) => {
    await probeDb?.updateTable("store_probe").set({ at }).where("id", "=", 1).execute();
  }, options.health);
  const { db, pool } = openPostgres(target, options, (error) => monitor.observe(error));
  probeDb = db;
  // Its idle connections' drops are heard (so none can end the process) but not reported: a read
  // that fails is reported by the repository, and the probe on the writing pool judges recovery.
  const reads = openPostgres(target, { ...options, poolSize: READ_POOL_SIZE }, () => undefined).db;
  const channel = changeChannel(target.schema);
  const engine = new Engine({
    kind: "postgres",
    db,
    reads,
    auditKey: options.auditKey,
    postgres: { auditLock: advisoryKey("audit", target.schema), channel },
  });
  try {
    await migratePostgres(db, target.schema);
  } catch (error) {
    await Promise.all([db.destroy(), reads.destroy()]);
    throw asRefusal(error, target);
  }
  const listener = new ChangeListener({ ...target.config }, channel, (payload, resync) => {
    const change = resync ? { requestId: "", kind: "resync" } : parseChange(payload);
    if (change) engine.emit(change);
  });
  await listener.start();
  let closed = false;
  return {
    engine,
    monitor,
    exclusive: postgresExclusive(pool, target.schema, exclusiveOptions(options)),
    isOpen: () => !closed,
    async close() {
      if (closed) return;
      closed = true;
      monitor.stop();
      await listener.close();
      await Promise.all([db.destroy(), reads.destroy()]);
    },
  };
}

/** A server out of reach is the operator's to fix: one sentence naming where (password hidden). */
export function asRefusal(error: unknown, target: PostgresTarget): unknown {
  const code = unreachableCode(error);
  if (code) {
    return new StoreRefusal(
      "DATABASE_UNREACHABLE",
      `cannot reach the PostgreSQL database at ${target.redacted} (${code})`,
    );
  }
  // PostgreSQL's SQLSTATE classes: 28 is a refused sign-in, 42501 a missing privilege.
  const sqlState = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof sqlState === "string" && sqlState.startsWith("28")) {
    return new StoreRefusal(
      "DATABASE_SIGN_IN_REFUSED",
      `PostgreSQL at ${target.redacted} refused the sign-in (${sqlState}: ${message}); check the user, its password or JITBOT_DATABASE_AUTH`,
    );
  }
  if (sqlState === "42501") {
    return new StoreRefusal(
      "DATABASE_PERMISSION",
      `the database role may not create or change jitbot's schema "${target.schema}" at ${target.redacted} (${message}); run jitbot migrate as a role that may (docs/deploy.md, "The database and its roles")`,
    );
  }
  return error;
}

function parseChange(payload: string | undefined): { requestId: string; kind: string } | undefined {
  try {
    const value: unknown = JSON.parse(payload ?? "");
    if (typeof value !== "object" || value === null) return undefined;
    const { requestId, kind } = value as Record<string, unknown>;
    return typeof requestId === "string" && typeof kind === "string" ? { requestId, kind } : undefined;
  } catch {
    return undefined;
  }
}
