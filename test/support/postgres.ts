/**
 * The PostgreSQL side of the store tests. JITBOT_TEST_DATABASE_URL names a server and a role that
 * may create schemas (e.g. postgres://jitbot:jitbot@127.0.0.1:5432/postgres); each test gets a
 * schema of its own through the URL's `schema` parameter, dropped when its file is done. Without
 * the URL only SQLite runs here (test/support/postgres-global-setup.ts says so once, and fails the
 * run in CI).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { afterAll } from "vitest";
import { Store, type StoreOptions } from "../../src/store/index.js";
import { tempDir } from "./temp.js";

export function testDatabaseUrl(): string | undefined {
  return process.env.JITBOT_TEST_DATABASE_URL?.trim() || undefined;
}

const created: string[] = [];

/** A URL for a schema nobody has used: `jt_<pid>_<random>`, dropped by dropSchemas(). */
export function freshSchemaUrl(base = testDatabaseUrl()): string {
  if (!base) throw new Error("JITBOT_TEST_DATABASE_URL is not set");
  const schema = `jt_${process.pid}_${randomBytes(5).toString("hex")}`;
  created.push(schema);
  const url = new URL(base);
  url.searchParams.set("schema", schema);
  return url.toString();
}

/** A client on the test server itself (no schema), for what a test does beside the store. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testDatabaseUrl(), application_name: "jitbot-test-admin" });
  await client.connect();
  return client;
}

/** Drops the schemas this process created; never anyone else's. */
export async function dropSchemas(): Promise<void> {
  await drop(created.splice(0));
}

/** Drops one schema freshSchemaUrl() made, when its one user is done with it. */
export async function dropSchema(url: string): Promise<void> {
  const schema = new URL(url).searchParams.get("schema");
  const at = schema ? created.indexOf(schema) : -1;
  if (at >= 0) await drop(created.splice(at, 1));
}

async function drop(schemas: string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = await adminClient();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface TestEngine {
  name: "sqlite" | "postgres";
  /** A location no store has used yet: a file in a temporary folder, or a fresh schema. */
  location(): string;
  open(options?: StoreOptions): Promise<Store>;
}

/**
 * The engines a store test runs on: SQLite always, PostgreSQL when JITBOT_TEST_DATABASE_URL is
 * set. Call at the top of a test file (it registers the clean-up).
 */
export function engines(): TestEngine[] {
  const tmp = tempDir("jitbot-store-");
  let n = 0;
  afterAll(async () => {
    tmp.cleanup();
    await dropSchemas();
  });
  const sqlite: TestEngine = {
    name: "sqlite",
    location: () => join(tmp.dir, `store-${n++}.db`),
    open: (options) => Store.open(sqlite.location(), options),
  };
  if (!testDatabaseUrl()) return [sqlite];
  const postgres: TestEngine = {
    name: "postgres",
    location: () => freshSchemaUrl(),
    open: (options) => Store.open(postgres.location(), options),
  };
  return [sqlite, postgres];
}
