import { createHash } from "node:crypto";
import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import { StoreRefusal } from "./errors.js";
import type { Database } from "./schema.js";

/** A location is PostgreSQL when it is a postgres:// or postgresql:// URL; anything else is a file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location.trim());
}

export interface PostgresOptions {
  /** Called for every new connection (Entra or IAM tokens expire, so each connection asks anew). */
  password?: () => Promise<string>;
  /** Connections in the pool; each replica holds this many plus one for LISTEN. */
  poolSize?: number;
}

export interface PostgresTarget {
  config: pg.ClientConfig;
  /** Where jitbot's tables live: the URL's `schema` parameter, `public` without it. */
  schema: string;
  /** The URL with its password hidden, for messages. */
  redacted: string;
}

/** PostgreSQL's own rule for an unquoted identifier, kept lower-case so it never needs quoting. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `?schema=name` chooses the schema (so several jitbots, or tests, share one database); it is
 * taken out before pg sees the URL, and becomes the search_path of every connection.
 */
export function postgresTarget(url: string, options: PostgresOptions = {}): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new StoreRefusal(
      "DATABASE_URL_INVALID",
      "JITBOT_DATABASE_URL is not a valid URL (postgres://user@host:5432/database)",
    );
  }
  const schema = parsed.searchParams.get("schema") ?? "public";
  parsed.searchParams.delete("schema");
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreRefusal(
      "DATABASE_URL_INVALID",
      `the schema ${JSON.stringify(schema.slice(0, 80))} in JITBOT_DATABASE_URL must be lower-case letters, digits and _`,
    );
  }
  const config = parseIntoClientConfig(parsed.toString());
  // The URL's empty password would otherwise win over the callback (pg merges the URL last).
  if (options.password) config.password = options.password;
  config.types = int8AsNumber();
  config.application_name ??= "jitbot";
  const redacted = new URL(parsed);
  if (redacted.password) redacted.password = "***";
  return { config, schema, redacted: redacted.toString() };
}

/**
 * Times are BIGINT milliseconds and counts are int8; pg hands both back as strings by default. The
 * parser is set on this pool's own types, never pg's global ones, which other code may rely on.
 */
function int8AsNumber(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  return types;
}

const quoted = (identifier: string) => `"${identifier}"`;

/**
 * A pool whose every error reaches `onError` instead of ending the process. pg-pool listens for
 * errors only on idle clients; a checked-out client whose connection drops (the server restarts,
 * a backend is terminated mid-transaction) emits an `error` nobody hears, and an unheard `error`
 * event is an uncaught exception. So each client gets a listener of its own for its whole life.
 */
export function openPostgres(
  target: PostgresTarget,
  options: PostgresOptions = {},
  onError: (error: unknown) => void = () => undefined,
): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = new pg.Pool({
    ...target.config,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", onError);
  pool.on("connect", (client) => client.on("error", onError));
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw(`SET search_path TO ${quoted(target.schema)}`));
      },
    }),
  });
  return { db, pool };
}

/**
 * A bigint key for pg_advisory_lock, one per purpose and schema, so two jitbots in two schemas of
 * one database never wait on each other. Passed as text and cast, since it may exceed 2^53.
 */
export function advisoryKey(purpose: "migrate" | "audit", schema: string): string {
  return createHash("sha256").update(`jitbot:${purpose}:${schema}`).digest().readBigInt64BE(0).toString();
}

/** The LISTEN/NOTIFY channel of a schema's changes (a channel name is an identifier: ≤ 63 bytes). */
export function changeChannel(schema: string): string {
  return `jitbot_${createHash("sha256").update(schema).digest("hex").slice(0, 24)}`;
}
