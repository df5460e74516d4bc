/**
 * vitest globalSetup: checks once, before any worker starts, that the PostgreSQL the store tests
 * were promised is there. In CI a missing URL or an unreachable server fails the run with one
 * sentence (the engine must never be skipped silently); locally, without the URL, the PostgreSQL
 * variants are skipped and this says so in one line.
 *
 * Tests create a schema each. When the role may not create schemas in the URL's database (the
 * usual `postgres` database), a throwaway database is created for this run and the workers,
 * which inherit this process's environment, are pointed at it; it is dropped at the end.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const url = process.env.JITBOT_TEST_DATABASE_URL?.trim();
  if (!url) {
    if (process.env.CI) {
      throw new Error("JITBOT_TEST_DATABASE_URL is not set: CI must run the store tests on PostgreSQL too");
    }
    console.log("PostgreSQL store tests skipped: set JITBOT_TEST_DATABASE_URL=postgres://… to run them");
    return undefined;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const rights = await client.query<{ create: boolean }>(
      "SELECT has_database_privilege(current_database(), 'CREATE') AS create",
    );
    if (rights.rows[0]?.create) return undefined;
    const database = `jitbot_test_${randomBytes(6).toString("hex")}`;
    await client.query(`CREATE DATABASE "${database}"`);
    const own = new URL(url);
    own.pathname = `/${database}`;
    process.env.JITBOT_TEST_DATABASE_URL = own.toString();
    return async () => {
      process.env.JITBOT_TEST_DATABASE_URL = url;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`the PostgreSQL in JITBOT_TEST_DATABASE_URL (${new URL(url).host}) is unusable: ${why}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
