import { type Kysely, sql } from "kysely";
import { newerSchema, POSTGRES_MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";
import { advisoryKey } from "./postgres.js";
import type { Database } from "./schema.js";

if (POSTGRES_MIGRATIONS.at(-1)?.reaches !== SCHEMA_VERSION) {
  throw new Error("the PostgreSQL migrations must reach the same version as SQLite's");
}

/**
 * Brings the schema to SCHEMA_VERSION, once, whichever replica gets here first: the others wait on
 * the session advisory lock and then find nothing left to do. Each version is one transaction,
 * so a replica killed mid-migration leaves the schema at the last whole version.
 * Returns the version found before migrating.
 */
export async function migratePostgres(db: Kysely<Database>, schema: string): Promise<number> {
  return db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${advisoryKey("migrate", schema)}::bigint)`.execute(connection);
    try {
      // Only when missing: creating needs CREATE on the database, which a role given a schema may lack.
      const exists = await sql`SELECT 1 FROM pg_namespace WHERE nspname = ${schema}`.execute(connection);
      if (exists.rows.length === 0) await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(connection);
      await sql`CREATE TABLE IF NOT EXISTS jitbot_schema (
        id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`.execute(connection);
      const found = await schemaVersion(connection);
      if (found > SCHEMA_VERSION) throw new Error(newerSchema(found));
      for (const step of POSTGRES_MIGRATIONS.filter((m) => m.reaches > found)) {
        await connection.transaction().execute(async (trx) => {
          await sql.raw(step.ddl).execute(trx);
          await sql`INSERT INTO jitbot_schema (id, version) VALUES (1, ${step.reaches})
            ON CONFLICT (id) DO UPDATE SET version = excluded.version`.execute(trx);
        });
      }
      return found;
    } finally {
      await sql`SELECT pg_advisory_unlock(${advisoryKey("migrate", schema)}::bigint)`.execute(connection);
    }
  });
}

/** 0 for a schema jitbot never migrated (or one that does not exist yet). */
export async function schemaVersion(db: Kysely<Database>): Promise<number> {
  const exists = await sql<{ found: string | null }>`SELECT to_regclass('jitbot_schema')::text AS found`.execute(db);
  if (!exists.rows[0]?.found) return 0;
  const row = await sql<{ version: number }>`SELECT version FROM jitbot_schema WHERE id = 1`.execute(db);
  return row.rows[0]?.version ?? 0;
}
