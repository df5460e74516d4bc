import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { systemClock } from "../../src/domain/clock.js";
import { Store } from "../../src/store/index.js";
import { startBenchBot } from "../lib/bot.js";
import { LatencyProvider } from "../lib/latency-provider.js";
import { activeCount } from "../lib/seed.js";
import { type ScenarioResult, summarize } from "../lib/stats.js";

export interface IdleSizes {
  finished: number;
  active: number;
  sweeps: number;
}

/**
 * A store after years of use: `finished` ended grants and `active` grants due in a day, nothing due.
 * Seeded with one INSERT … SELECT over a counter per table, in one transaction (seconds, not minutes);
 * the rows bypass the audit chain, which the sweep never reads.
 */
async function buildStore(file: string, sizes: IdleSizes): Promise<void> {
  const store = await Store.open(file);
  const total = sizes.finished + sizes.active;
  const now = Date.now();
  // SQLite's own SQL (printf, a recursive counter): this scenario measures the embedded default.
  const counter = sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${total})`;
  const finished = sizes.finished;
  await store.kysely.transaction().execute(async (tx) => {
    await sql`INSERT INTO requests (id, profile_id, requester_id, requester_name, requester_email, duration_seconds,
           justification, status, created_at, updated_at)
         ${counter}
         SELECT printf('JR-I%07d', i), 'aks-prod-sre', 'U0REQ' || (i % 50), 'Requester', 'r@contoso.com', 3600,
           'benchmark history', CASE WHEN i <= ${finished} THEN 'expired' ELSE 'active' END,
           ${now} - (${total} - i) * 1000, ${now} FROM n`.execute(tx);
    await sql`INSERT INTO grants (request_id, provider, status, state, started_at, granted_at, expires_at, due_at,
           end_reason, ended_at)
         ${counter}
         SELECT printf('JR-I%07d', i), 'entra-group', CASE WHEN i <= ${finished} THEN 'ended' ELSE 'active' END,
           '{"bench":true}', ${now} - (${total} - i) * 1000, ${now} - (${total} - i) * 1000,
           CASE WHEN i <= ${finished} THEN ${now} - 1000 ELSE ${now} + 86400000 + i END,
           CASE WHEN i <= ${finished} THEN ${now} - 1000 ELSE ${now} + 86400000 + i END,
           CASE WHEN i <= ${finished} THEN 'expired' END, CASE WHEN i <= ${finished} THEN ${now} END FROM n`.execute(
      tx,
    );
  });
  await sql`PRAGMA optimize`.execute(store.kysely);
  await store.close();
}

export async function idleSweepScenario(sizes: IdleSizes): Promise<ScenarioResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "jitbot-bench-idle-"));
  const file = join(dir, "jitbot.db");
  try {
    const seedStarted = performance.now();
    await buildStore(file, sizes);
    const seedMs = performance.now() - seedStarted;
    const provider = new LatencyProvider("entra-group", 0, systemClock);
    const b = await startBenchBot({ provider, dbFile: file });
    try {
      const times: number[] = [];
      for (let i = 0; i < sizes.sweeps; i++) {
        const t = performance.now();
        await b.bot.scheduler.run("sweep");
        times.push(performance.now() - t);
      }
      const cold = times[0] ?? 0;
      const warm = summarize(times.slice(1));
      const count = await b.store.kysely
        .selectFrom("grants")
        .select(({ fn }) => fn.countAll<number>().as("n"))
        .executeTakeFirst();
      const grants = Number(count?.n ?? 0);
      return {
        scenario: "idle sweep",
        rows: [
          {
            scenario: "idle sweep",
            metric: `${sizes.finished} finished + ${sizes.active} active, nothing due`,
            unit: "ms",
            stats: warm,
            target: "one sweep ≤ 5 ms",
            met: warm.p99 <= 5,
          },
          { scenario: "idle sweep", metric: "  first sweep after start", unit: "ms", value: cold, target: "" },
        ],
        checks: { revoked: provider.revokes.length, grants, active: await activeCount(b.store) },
        details: { seedMs },
        wallMs: performance.now() - started,
      };
    } finally {
      await b.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
