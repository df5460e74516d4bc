import type { Kysely } from "kysely";
import { type AuditRow, type AuditVerdict, auditHead, auditTrail, GENESIS, verifyAudit } from "./audit.js";
import { type AuditAnchor, signAnchor } from "./audit-anchor.js";
import { openForReading as openSqliteForReading } from "./db.js";
import { NoDatabaseError } from "./errors.js";
import { SCHEMA_VERSION } from "./migrations.js";
import { asRefusal, openSqlite, sqliteKysely } from "./open.js";
import { isPostgresUrl, openPostgres, type PostgresOptions, postgresTarget } from "./postgres.js";
import { migratePostgres, schemaVersion } from "./postgres-migrate.js";
import type { Database } from "./schema.js";

/** The audit log, read-only, for the CLI beside a live bot. */
export interface StoreReader {
  verifyAudit(anchors?: readonly AuditAnchor[]): Promise<AuditVerdict>;
  auditAnchor(): Promise<AuditAnchor>;
  auditTrail(requestId: string): Promise<AuditRow[]>;
  /** PostgreSQL: events committed with their change and not yet linked into the chain. */
  queuedAudits(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Never creates, migrates or locks anything, so it runs beside a live bot (SQLite's WAL lets a
 * reader see the last committed state; PostgreSQL readers never block writers). A location with no
 * jitbot database is NoDatabaseError, never an empty log reported intact.
 */
export async function openForReading(
  location: string,
  options: PostgresOptions & { auditKey?: string } = {},
): Promise<StoreReader> {
  const key = options.auditKey ? Buffer.from(options.auditKey, "utf8") : undefined;
  let db: Kysely<Database>;
  if (isPostgresUrl(location)) {
    const target = postgresTarget(location, options);
    db = openPostgres(target, { ...options, poolSize: 1 }).db;
    try {
      if ((await schemaVersion(db)) === 0) {
        throw new NoDatabaseError(
          target.redacted,
          `there is no jitbot schema "${target.schema}" at ${target.redacted} (set JITBOT_DATABASE_URL, with ?schema= if the bot uses one)`,
        );
      }
    } catch (error) {
      await db.destroy();
      throw error;
    }
  } else {
    db = sqliteKysely(openSqliteForReading(location));
  }
  return {
    verifyAudit: (anchors = []) => verifyAudit(db, { key, anchors }),
    auditAnchor: async () => {
      const head = await auditHead(db);
      return signAnchor({ seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS }, key);
    },
    auditTrail: (requestId) => auditTrail(db, requestId),
    queuedAudits: async () => {
      // A schema older than version 9 has no queue: nothing can be waiting.
      const row = await db
        .selectFrom("audit_pending")
        .select(({ fn }) => fn.countAll<number>().as("n"))
        .executeTakeFirst()
        .catch(() => undefined);
      return Number(row?.n ?? 0);
    },
    close: () => db.destroy(),
  };
}

/**
 * `jitbot migrate`: brings the schema to this jitbot's version and stops, for teams that gate
 * schema changes. Returns the versions before and after.
 */
export async function migrate(location: string, options: PostgresOptions = {}): Promise<{ from: number; to: number }> {
  if (isPostgresUrl(location)) {
    const target = postgresTarget(location, options);
    const { db } = openPostgres(target, { ...options, poolSize: 1 });
    try {
      return { from: await migratePostgres(db, target.schema), to: SCHEMA_VERSION };
    } catch (error) {
      throw asRefusal(error, target);
    } finally {
      await db.destroy();
    }
  }
  const before = openSqliteVersion(location);
  const opened = openSqlite(location, {});
  await opened.close();
  return { from: before, to: SCHEMA_VERSION };
}

function openSqliteVersion(file: string): number {
  try {
    const db = openSqliteForReading(file);
    try {
      return Number(db.pragma("user_version", { simple: true }));
    } finally {
      db.close();
    }
  } catch (error) {
    if (error instanceof NoDatabaseError) return 0;
    throw error;
  }
}
