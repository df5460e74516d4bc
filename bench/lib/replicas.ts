import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { benchPeople } from "./people.js";
import { type BenchDatabase, benchDatabase } from "./postgres.js";
import { type RemoteBot, type RemoteBotOptions, startRemoteBot } from "./remote-bot.js";
import type { ScenarioResult } from "./stats.js";

export const REPLICA_IDS = ["replica-a", "replica-b", "replica-c"] as const;

/** Three bot processes on one PostgreSQL schema, one fake Slack between them, as an HA Deployment. */
export interface Replicas {
  db: BenchDatabase;
  slack: FakeSlackWebApi;
  bots: RemoteBot[];
  /** Stops the live bots (drained), the fake Slack, and drops the database. */
  close(): Promise<void>;
}

/**
 * The replica scenarios need a PostgreSQL server; without one they report a skip with the reason
 * (printed), so `npm test` passes on a machine without PostgreSQL.
 */
export function skipped(scenario: string, reason: string, started: number): ScenarioResult {
  console.log(`… ${scenario}: skipped, ${reason}`);
  return {
    scenario,
    rows: [],
    checks: { skipped: true },
    details: { skipped: reason },
    wallMs: performance.now() - started,
  };
}

/** A throwaway database (benchDatabase), or why there is none: the scenario then reports skipped. */
export { benchDatabase };

/**
 * On the throwaway database: `before` (a bulk seed), then the three replicas: replica-a first (it
 * migrates), the other two together. Owns the database from here: close() drops it.
 */
export async function startReplicas(
  db: BenchDatabase,
  options: Omit<RemoteBotOptions, "database" | "replicaId" | "slack" | "seed"> & {
    before?: (db: BenchDatabase) => Promise<void>;
  },
): Promise<Replicas> {
  const slack = new FakeSlackWebApi(benchPeople());
  const bots: RemoteBot[] = [];
  const close = async () => {
    try {
      await Promise.all(bots.map((b) => b.close().catch(() => undefined)));
      await slack.close();
    } finally {
      await db.drop();
    }
  };
  try {
    const apiUrl = await slack.listen();
    await options.before?.(db);
    const start = (replicaId: string) =>
      startRemoteBot({ ...options, database: db.url, replicaId, slack: { fake: slack, apiUrl } });
    // One migrates first (the others would wait on its advisory lock anyway), then two at once.
    const [first, ...rest] = REPLICA_IDS;
    bots.push(await start(first));
    bots.push(...(await Promise.all(rest.map(start))));
    return { db, slack, bots, close };
  } catch (error) {
    await close();
    throw error;
  }
}
