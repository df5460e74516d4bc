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
  table: "requests" | "grants" | "audit_events" | "approvals" | "slack_deliveries",
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
