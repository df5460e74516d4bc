import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import type { RequestStatus } from "../../src/domain/status.js";
import type { EngineKind, Store } from "../../src/store/index.js";
import { sqliteKysely } from "../../src/store/open.js";
import { isPostgresUrl, openPostgres, postgresTarget } from "../../src/store/postgres.js";
import type { Database as Tables } from "../../src/store/schema.js";

/** Alice's ordinary request row, filed at `at`; store tests move it where each case needs it. */
export function insertRequest(store: Store, id: string, at: Date, extendsRequestId?: string) {
  return store.requests.insert({
    id,
    profileId: "aks-prod-sre",
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: "alice@example.com",
    durationSeconds: 3600,
    justification: "debugging the ingress",
    ticket: "OPS-1",
    createdAt: at,
    extendsRequestId,
  });
}

/** A request whose row is in `status`, as if earlier transitions had put it there. */
export async function insertRequestIn(store: Store, id: string, status: RequestStatus, at: Date): Promise<string> {
  await insertRequest(store, id, at);
  await store.kysely.updateTable("requests").set({ status }).where("id", "=", id).execute();
  return id;
}

/** Rows in a table, on either engine. */
export async function countRows(
  store: Store,
  table: "requests" | "grants" | "audit_events" | "audit_pending" | "approvals" | "slack_deliveries",
): Promise<number> {
  const row = await store.kysely
    .selectFrom(table)
    .select(({ fn }) => fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * What someone with the database can do: the append-only triggers only stop honest mistakes.
 * (PostgreSQL names a trigger with its table.)
 */
export async function dropAuditGuards(store: { kysely: Kysely<Tables>; engine: EngineKind }): Promise<void> {
  for (const trigger of ["audit_events_no_update", "audit_events_no_delete"]) {
    const on = store.engine === "postgres" ? sql` ON audit_events` : sql``;
    await sql`DROP TRIGGER IF EXISTS ${sql.id(trigger)}${on}`.execute(store.kysely);
  }
}

/** The database behind a location, without a Store: no lock, no migration, no audit key check. */
export function openRaw(location: string): { kysely: Kysely<Tables>; engine: EngineKind; close(): Promise<void> } {
  const kysely = isPostgresUrl(location)
    ? openPostgres(postgresTarget(location), { poolSize: 1 }).db
    : sqliteKysely(new Database(location));
  return { kysely, engine: isPostgresUrl(location) ? "postgres" : "sqlite", close: () => kysely.destroy() };
}

/**
 * Whether `text` is anywhere in the database. SQLite: in the file's bytes, free pages included,
 * after folding the WAL into it (a deleted row's bytes can outlive the row). PostgreSQL: in any
 * row of any table of the store's schema, each row read as text.
 */
export async function databaseHolds(store: Store, location: string, text: string): Promise<boolean> {
  if (store.engine === "sqlite") {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.kysely);
    return readFileSync(location).includes(Buffer.from(text));
  }
  const tables = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(store.kysely);
  // An answer of "no" from an empty schema would be a test that cannot fail.
  if (tables.rows.length === 0) throw new Error("the store's schema has no tables");
  for (const { name } of tables.rows) {
    const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(name)} AS t`.execute(store.kysely);
    if (rows.rows.some((r) => r.row.includes(text))) return true;
  }
  return false;
}
