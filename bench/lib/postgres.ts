import { randomBytes } from "node:crypto";
import pg from "pg";

/** The local server of the development machine (`.ci/run` and the brief): a role with CREATEDB. */
const LOCAL = "postgres://jitbot:jitbot@127.0.0.1:5432/postgres";

export interface BenchDatabase {
  /** What the bot processes open: a postgres:// URL with `?schema=…`. */
  url: string;
  /** Where it lives, password hidden, for the report. */
  where: string;
  drop(): Promise<void>;
}

const hidden = (url: URL) => {
  const copy = new URL(url);
  if (copy.password) copy.password = "***";
  copy.search = "";
  return copy.toString();
};

/**
 * A throwaway database for one scenario on JITBOT_BENCH_DATABASE_URL's server, else
 * JITBOT_TEST_DATABASE_URL's, else the local one: `CREATE DATABASE jitbot_bench_<random>` through the
 * `postgres` maintenance database, dropped at the end. A role without CREATEDB gets a schema of its
 * own in the URL's database instead. A string says why there is none (no server reachable): the
 * replica scenarios skip with it, so the smoke test passes on a machine without PostgreSQL.
 */
export async function benchDatabase(): Promise<BenchDatabase | string> {
  const base = new URL(process.env.JITBOT_BENCH_DATABASE_URL ?? process.env.JITBOT_TEST_DATABASE_URL ?? LOCAL);
  const name = `jitbot_bench_${randomBytes(4).toString("hex")}`;
  const maintenance = new URL(base);
  maintenance.pathname = "/postgres";
  maintenance.search = "";
  const admin = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 3_000 });
  admin.on("error", () => undefined); // a dropped admin connection must not end the bench
  try {
    await admin.connect();
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return `no PostgreSQL reachable at ${hidden(maintenance)} (${code})`;
  }
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    url.search = "";
    url.searchParams.set("schema", "jitbot");
    return {
      url: url.toString(),
      where: hidden(url),
      async drop() {
        // FORCE (PostgreSQL 13+): a killed replica's connections may not have been reaped yet.
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      },
    };
  } catch {
    await admin.end();
    return schemaIn(base, name);
  }
}

/** The fallback for a role that may not create databases: a schema in the URL's own database. */
async function schemaIn(base: URL, name: string): Promise<BenchDatabase | string> {
  const plain = new URL(base);
  plain.search = "";
  const owner = new pg.Client({ connectionString: plain.toString() });
  owner.on("error", () => undefined);
  try {
    await owner.connect();
  } catch (error) {
    return `cannot open ${hidden(base)} (${(error as { code?: string }).code ?? String(error)})`;
  }
  const url = new URL(base);
  url.search = "";
  url.searchParams.set("schema", name);
  return {
    url: url.toString(),
    where: `${hidden(base)} (schema ${name})`,
    async drop() {
      await owner.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await owner.end();
    },
  };
}
