import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { type DatabaseSettings, databaseChecks, databaseSecrets } from "../../src/doctor/database.js";
import type { CheckRow } from "../../src/doctor/report.js";
import { migrate, Store } from "../../src/store/index.js";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import { adminClient, dropSchemas, freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { tempDir } from "../support/temp.js";
import { type DoctorWorld, startDoctorWorld } from "./harness.js";

const tmp = tempDir("jitbot-doctor-db-");
afterAll(async () => {
  tmp.cleanup();
  await dropSchemas();
});

let n = 0;
const sqliteFile = () => join(tmp.dir, `doctor-${n++}.db`);
const check = (location: string, extra: Partial<DatabaseSettings> = {}) =>
  databaseChecks({ location, env: {}, ...extra });
const row = (rows: CheckRow[], name: string, target?: string) =>
  rows.find((r) => r.check === name && (target === undefined || r.target === target));
const fixOf = (r: CheckRow | undefined) => (r?.status === "failed" ? r.fix : undefined);

describe("the doctor's mask list", () => {
  it("holds the database URL's password as written and decoded", () => {
    const env = { JITBOT_DATABASE_URL: "postgres://jitbot:p%40ss-w0rd-long@db.example:5432/jitbot" };
    expect(databaseSecrets(env)).toEqual(["p%40ss-w0rd-long", "p@ss-w0rd-long"]);
    expect(databaseSecrets({ JITBOT_DATABASE_URL: "postgres://jitbot@db.example/jitbot" })).toEqual([]);
    expect(databaseSecrets({})).toEqual([]);
  });
});

describe("jitbot doctor: the SQLite database", () => {
  it("fails on a missing file, naming JITBOT_DB, and creates nothing", async () => {
    const file = sqliteFile();
    const rows = await check(file);
    expect(row(rows, "database")).toMatchObject({ status: "failed", target: file, result: "no database file there" });
    expect(fixOf(row(rows, "database"))).toContain("set JITBOT_DB");
    expect(existsSync(file)).toBe(false);
  });

  it("fails on an old schema with 'run jitbot migrate', and leaves it old", async () => {
    const file = sqliteFile();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    raw.close();
    const rows = await check(file);
    expect(row(rows, "database")?.status).toBe("ok");
    expect(row(rows, "database schema")).toMatchObject({
      status: "failed",
      result: `version ${SCHEMA_VERSION - 1} is older than this jitbot's (${SCHEMA_VERSION})`,
      fix: "run jitbot migrate",
    });
    const after = new Database(file, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION - 1);
    after.close();
  });

  it("passes beside the live bot that holds the file's lock, without taking it", async () => {
    const file = sqliteFile();
    const store = await Store.open(file);
    try {
      const rows = await check(file);
      expect(rows.filter((r) => r.status === "failed")).toEqual([]);
      expect(row(rows, "database")?.result).toContain("opened read-only");
      expect(row(rows, "database schema")?.result).toBe(`version ${SCHEMA_VERSION}, this jitbot's`);
      expect(row(rows, "database clock")?.status).toBe("skipped");
      // The bot still holds its store: a write after the doctor ran succeeds.
      await store.heartbeat("jitbot-0", new Date());
    } finally {
      await store.close();
    }
  });
});

describe.runIf(testDatabaseUrl())("jitbot doctor: PostgreSQL", () => {
  it("passes on a migrated schema, and fails the replica whose clock is 5 s ahead, with the NTP fix", async () => {
    const url = freshSchemaUrl();
    const store = await Store.open(url);
    try {
      await store.heartbeat("jitbot-in-time", new Date());
      await store.heartbeat("jitbot-fast", new Date(Date.now() + 5_000));
    } finally {
      await store.close();
    }
    const rows = await check(url);
    expect(row(rows, "database")).toMatchObject({ status: "ok", result: "connected (PostgreSQL)" });
    expect(row(rows, "database")?.target).toMatch(/^postgres:\/\/\w+:\*\*\*@127\.0\.0\.1:\d+\/\w+ schema jt_/);
    expect(row(rows, "database schema")).toMatchObject({
      status: "ok",
      result: `version ${SCHEMA_VERSION}, this jitbot's`,
    });
    expect(row(rows, "database clock", "this machine")?.status).toBe("ok");
    expect(row(rows, "replica clock", "jitbot-in-time")?.status).toBe("ok");
    const fast = row(rows, "replica clock", "jitbot-fast");
    expect(fast).toMatchObject({ status: "failed" });
    expect(fast?.result).toMatch(/^5\.0 s ahead of the database \(last beat \d+ s ago\)/);
    expect(fixOf(fast)).toContain("run NTP/chrony on the node");
  });

  it("fails this machine's clock when it is more than a second off the database's", async () => {
    const url = freshSchemaUrl();
    await migrate(url);
    const rows = await check(url, { now: () => new Date(Date.now() - 2_500) });
    const clock = row(rows, "database clock", "this machine");
    expect(clock?.status).toBe("failed");
    expect(clock?.result).toMatch(/^2\.5 s behind the database/);
    expect(row(rows, "replica clock")?.result).toBe("no replica beat in the last 5 minutes");
  });

  it("fails an unmigrated schema with 'run jitbot migrate', and does not create it", async () => {
    const url = freshSchemaUrl();
    const rows = await check(url);
    expect(row(rows, "database")?.status).toBe("ok");
    expect(row(rows, "database schema")).toMatchObject({ status: "failed" });
    expect(row(rows, "database schema")?.result).toContain("no jitbot schema");
    expect(fixOf(row(rows, "database schema"))).toContain("run jitbot migrate");
    const client = await adminClient();
    try {
      const schema = new URL(url).searchParams.get("schema");
      const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      expect(found.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });

  it("fails a schema newer than this jitbot with 'upgrade jitbot'", async () => {
    const url = freshSchemaUrl();
    await migrate(url);
    const client = await adminClient();
    try {
      const schema = new URL(url).searchParams.get("schema");
      await client.query(`UPDATE "${schema}".jitbot_schema SET version = $1`, [SCHEMA_VERSION + 1]);
    } finally {
      await client.end();
    }
    const rows = await check(url);
    expect(row(rows, "database schema")?.result).toBe(
      `version ${SCHEMA_VERSION + 1} is newer than this jitbot's (${SCHEMA_VERSION})`,
    );
    expect(fixOf(row(rows, "database schema"))).toContain("upgrade jitbot");
  });

  it("fails a server out of reach, naming it with the password hidden", async () => {
    const rows = await check("postgres://jitbot:Unreachable-Secret-42@127.0.0.1:1/postgres");
    const database = row(rows, "database");
    expect(database?.status).toBe("failed");
    expect(database?.result).toContain("127.0.0.1:1");
    expect(database?.result).toContain("ECONNREFUSED");
    expect(JSON.stringify(rows)).not.toContain("Unreachable-Secret-42");
    expect(fixOf(database)).toContain("network path");
  });
});

describe.runIf(testDatabaseUrl())("jitbot doctor with JITBOT_DATABASE_URL", () => {
  let w: DoctorWorld;
  afterAll(() => w?.close());

  it("masks the URL's password wherever it would appear and exits 1 on a refused sign-in", async () => {
    w = await startDoctorWorld();
    const url = new URL(freshSchemaUrl());
    url.password = "Wrong-Password-0123";
    const { code, output } = await w.run({ JITBOT_DATABASE_URL: url.toString() });
    expect(code).toBe(1);
    expect(output).toMatch(
      /✗\s+database\s+JITBOT_DATABASE_URL\s+cannot read the PostgreSQL database at postgres:\/\/\w+:\*\*\*@/,
    );
    expect(output).toContain("28P01");
    expect(output).not.toContain("Wrong-Password-0123");
  });
});
