import type { Kysely } from "kysely";
import { openForReading as openSqliteForReading } from "./db.js";
import { Engine, type EngineKind } from "./engine.js";
import { StoreRefusal } from "./errors.js";
import { sqliteKysely } from "./open.js";
import { isPostgresUrl, openPostgres, type PostgresOptions, postgresTarget } from "./postgres.js";
import { schemaVersion } from "./postgres-migrate.js";
import { ReplicaFacts, type ReplicaSeen } from "./replicas.js";
import type { Database } from "./schema.js";

/** What `jitbot doctor` reads of a database, beside a live bot. */
export interface DatabaseInspection {
  engine: EngineKind;
  /** The file, or the URL with its password masked. */
  where: string;
  /** The schema's version; 0 where jitbot never migrated. */
  schemaVersion: number;
  databaseTime(): Promise<Date>;
  replicas(since: Date): Promise<ReplicaSeen[]>;
  close(): Promise<void>;
}

/**
 * Opens a database to look at it only: never created, migrated or locked (SQLite is opened
 * read-only, without the bot's one-process lock, so this runs beside the bot). A file that is not
 * there is NoDatabaseError; a server out of reach or refusing the sign-in is a StoreRefusal whose
 * message names where (password hidden) and why.
 */
export async function inspectDatabase(location: string, options: PostgresOptions = {}): Promise<DatabaseInspection> {
  if (!isPostgresUrl(location)) {
    const raw = openSqliteForReading(location);
    try {
      const version = Number(raw.pragma("user_version", { simple: true }));
      return inspection("sqlite", location, version, sqliteKysely(raw));
    } catch (error) {
      raw.close();
      throw error;
    }
  }
  const target = postgresTarget(location, options);
  const { db } = openPostgres(target, { ...options, poolSize: 1 });
  try {
    const where = `${target.redacted} schema ${target.schema}`;
    return inspection("postgres", where, await schemaVersion(db), db);
  } catch (error) {
    await db.destroy();
    throw new StoreRefusal(
      "DATABASE_UNREACHABLE",
      `cannot read the PostgreSQL database at ${target.redacted} (${whyRefused(error)})`,
    );
  }
}

function inspection(engine: EngineKind, where: string, version: number, db: Kysely<Database>): DatabaseInspection {
  const facts = new ReplicaFacts(new Engine({ kind: engine, db, auditKey: undefined }));
  return {
    engine,
    where,
    schemaVersion: version,
    databaseTime: () => facts.databaseTime(),
    replicas: (since) => facts.replicas(since),
    close: () => db.destroy(),
  };
}

/** pg's own words are kept (they name the role or database at fault); a password never appears in them. */
function whyRefused(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  // A refused connection to every address of a host is an AggregateError with an empty message.
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code !== "string") return message || "unknown error";
  return message && !message.includes(code) ? `${code}: ${message}` : message || code;
}
