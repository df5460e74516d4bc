import { existsSync } from "node:fs";
import { hostname } from "node:os";

export interface RuntimeSettings {
  slack: { botToken: string; signingSecret: string; appToken?: string; apiUrl?: string } | undefined;
  /** The variables still needed for Slack, when `slack` is undefined. */
  missingSlack: string[];
  port: number;
  configPath: string;
  /** True when JITBOT_CONFIG is unset and ./jitbot.yaml is missing: the example policy is used. */
  usingExamplePolicy: boolean;
  dbPath: string;
  /**
   * JITBOT_DATABASE_URL: PostgreSQL (postgres:// or postgresql://) instead of the SQLite file, for
   * several replicas; `?schema=name` puts jitbot's tables in that schema. Undefined: SQLite.
   */
  databaseUrl: string | undefined;
  /**
   * JITBOT_REPLICA_ID: this process's name among the replicas sharing a database (leases, metrics,
   * doctor's skew report). Default: host name and process id, which stays the same when Kubernetes
   * restarts the container in its pod (pid 1), so the restarted replica resumes its own leases.
   */
  replicaId: string;
  logLevel: string;
  /** JITBOT_AUDIT_KEY: the HMAC key of the audit chain; undefined when unset. */
  auditKey: string | undefined;
  /** Set when JITBOT_AUDIT_KEY is set but too weak to key anything. */
  auditKeyProblem: string | undefined;
}

/**
 * Whoever holds the database knows every row's contents, so a short key falls to an offline
 * guess; 32 characters is what `openssl rand -hex 16` prints.
 */
const AUDIT_KEY_MIN = 32;

/** Reads the environment given (never process.env at import time), with DESIGN.md's defaults. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim();
  const appToken = env.SLACK_APP_TOKEN?.trim() || undefined;
  const missingSlack: string[] = [];
  if (!botToken) missingSlack.push("SLACK_BOT_TOKEN");
  // Socket Mode authenticates with the app token; HTTP mode verifies every request with the secret.
  if (!signingSecret && !appToken) missingSlack.push("SLACK_SIGNING_SECRET");
  const explicitConfig = env.JITBOT_CONFIG?.trim();
  const usingExamplePolicy = !explicitConfig && !existsSync("./jitbot.yaml");
  const port = Number(env.PORT ?? 3000);
  const auditKey = env.JITBOT_AUDIT_KEY?.trim() || undefined;
  return {
    slack:
      missingSlack.length === 0 && botToken
        ? { botToken, signingSecret: signingSecret ?? "", appToken, apiUrl: env.SLACK_API_URL?.trim() || undefined }
        : undefined,
    missingSlack,
    port: Number.isInteger(port) && port >= 0 && port < 65536 ? port : 3000,
    configPath: explicitConfig || (usingExamplePolicy ? "./jitbot.example.yaml" : "./jitbot.yaml"),
    usingExamplePolicy,
    dbPath: env.JITBOT_DB?.trim() || "./data/jitbot.db",
    databaseUrl: env.JITBOT_DATABASE_URL?.trim() || undefined,
    replicaId: env.JITBOT_REPLICA_ID?.trim() || `${hostname()}-${process.pid}`,
    logLevel: env.LOG_LEVEL?.trim() || "info",
    auditKey,
    auditKeyProblem:
      auditKey !== undefined && auditKey.length < AUDIT_KEY_MIN
        ? `JITBOT_AUDIT_KEY is ${auditKey.length} characters; use at least ${AUDIT_KEY_MIN} (openssl rand -hex 32)`
        : undefined,
  };
}
