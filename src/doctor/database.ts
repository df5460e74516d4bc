import { type DatabaseInspection, inspectDatabase } from "../store/index.js";
import { SCHEMA_VERSION } from "../store/migrations.js";
import { databasePassword } from "../store/pg-auth.js";
import { type CheckRow, failed, ok, skipped } from "./report.js";

/** Expiry is precise to a second: a clock further off than this makes a grant end late (or early). */
export const MAX_SKEW_MS = 1_000;
/** Replicas that beat this recently are checked; older rows are replicas long gone. */
const RECENT_MS = 5 * 60_000;
const CLOCK_FIX = "run NTP/chrony on the node (timedatectl shows whether the clock is synchronised)";

export interface DatabaseSettings {
  /** JITBOT_DATABASE_URL when set, else the JITBOT_DB file. */
  location: string;
  env: NodeJS.ProcessEnv;
  /** This machine's clock (tests set it). */
  now?: () => Date;
}

/**
 * Reachable, migrated, and the clocks that matter to expiry: this machine's and every live
 * replica's against the database's. Read-only: never migrates, never takes the SQLite file's lock.
 */
export async function databaseChecks(settings: DatabaseSettings): Promise<CheckRow[]> {
  const now = settings.now ?? (() => new Date());
  let db: DatabaseInspection;
  try {
    db = await inspectDatabase(settings.location, { password: databasePassword(settings.env) });
  } catch (error) {
    return [unreachable(settings.location, error), skipped("database schema", "-", "skipped: database not readable")];
  }
  try {
    const rows = [reachable(db), schemaRow(db)];
    if (db.engine === "sqlite") {
      rows.push(skipped("database clock", "this machine", "SQLite: the database's clock is this machine's"));
      return rows;
    }
    const { offsetMs, dbNow } = await measureOffset(db, now);
    rows.push(clockRow("database clock", "this machine", offsetMs));
    rows.push(...(await replicaRows(db, dbNow)));
    return rows;
  } finally {
    await db.close();
  }
}

function reachable(db: DatabaseInspection): CheckRow {
  return ok(
    "database",
    db.where,
    db.engine === "sqlite" ? "file exists and is readable (SQLite, opened read-only)" : "connected (PostgreSQL)",
  );
}

function unreachable(location: string, error: unknown): CheckRow {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "NO_DATABASE") {
    return failed(
      "database",
      location,
      "no database file there",
      "set JITBOT_DB to the bot's database file (the bot creates it at its first start), or JITBOT_DATABASE_URL for PostgreSQL",
    );
  }
  if (code === "DATABASE_URL_INVALID" || code === "DATABASE_AUTH_INVALID" || code === "DATABASE_TOKEN_FAILED") {
    return failed("database", "JITBOT_DATABASE_URL", message, "fix the setting named (docs/deploy.md)");
  }
  if (code === "DATABASE_UNREACHABLE") {
    return failed(
      "database",
      "JITBOT_DATABASE_URL",
      message,
      "check the URL's host, port, database and user, the password or JITBOT_DATABASE_AUTH, and the network path to the server",
    );
  }
  return failed(
    "database",
    location,
    `cannot read the file: ${message}`,
    "run the doctor as the bot's user (the file is private to it), and check the volume is mounted",
  );
}

function schemaRow(db: DatabaseInspection): CheckRow {
  const found = db.schemaVersion;
  const target = db.engine === "sqlite" ? "PRAGMA user_version" : "jitbot_schema.version";
  if (found === SCHEMA_VERSION) return ok("database schema", target, `version ${found}, this jitbot's`);
  if (found === 0) {
    return failed(
      "database schema",
      target,
      `no jitbot schema (this jitbot needs version ${SCHEMA_VERSION})`,
      "run jitbot migrate (or start the bot once); with ?schema= in JITBOT_DATABASE_URL, check it names the bot's schema",
    );
  }
  if (found < SCHEMA_VERSION) {
    return failed(
      "database schema",
      target,
      `version ${found} is older than this jitbot's (${SCHEMA_VERSION})`,
      "run jitbot migrate",
    );
  }
  return failed(
    "database schema",
    target,
    `version ${found} is newer than this jitbot's (${SCHEMA_VERSION})`,
    "upgrade jitbot to the version that migrated the database",
  );
}

/** The database's clock read between two local readings: the midpoint is when it was read. */
async function measureOffset(db: DatabaseInspection, now: () => Date): Promise<{ offsetMs: number; dbNow: Date }> {
  const before = now().getTime();
  const dbNow = await db.databaseTime();
  const after = now().getTime();
  return { offsetMs: Math.round((before + after) / 2 - dbNow.getTime()), dbNow };
}

function clockRow(check: string, target: string, offsetMs: number, seen = ""): CheckRow {
  const side = offsetMs >= 0 ? "ahead of" : "behind";
  const result = `${formatMs(Math.abs(offsetMs))} ${side} the database${seen}`;
  if (Math.abs(offsetMs) <= MAX_SKEW_MS) return ok(check, target, result);
  return failed(check, target, `${result}: grants would end up to that much late or early`, CLOCK_FIX);
}

async function replicaRows(db: DatabaseInspection, dbNow: Date): Promise<CheckRow[]> {
  if (db.schemaVersion !== SCHEMA_VERSION) {
    return [skipped("replica clock", "-", "skipped: the schema is not this jitbot's")];
  }
  const seen = await db.replicas(new Date(dbNow.getTime() - RECENT_MS));
  if (seen.length === 0) return [skipped("replica clock", "-", "no replica beat in the last 5 minutes")];
  return seen.map((replica) => {
    const ago = Math.max(0, Math.round((dbNow.getTime() - replica.seenAt.getTime()) / 1000));
    return clockRow("replica clock", replica.replicaId, replica.offsetMs, ` (last beat ${ago} s ago)`);
  });
}

function formatMs(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The database password in JITBOT_DATABASE_URL, as written and decoded, for the doctor's mask list. */
export function databaseSecrets(env: NodeJS.ProcessEnv): string[] {
  const url = env.JITBOT_DATABASE_URL?.trim();
  if (!url) return [];
  try {
    const password = new URL(url).password;
    if (!password) return [];
    return [...new Set([password, decodeURIComponent(password)])];
  } catch {
    return [];
  }
}
