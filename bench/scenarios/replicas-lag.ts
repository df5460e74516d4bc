import type { RevokeCall } from "../host/protocol.js";
import { benchDatabase, skipped, startReplicas } from "../lib/replicas.js";
import { round, type ScenarioResult, summarize, until } from "../lib/stats.js";

export interface ReplicasLagSizes {
  grants: number;
  spreadMs: number;
}

const SCENARIO = "revocation lag, 3 replicas";

/**
 * Three bot processes on one PostgreSQL schema, real clock. Replica A makes `grants` grants through
 * its own store (the guarded transitions, audited; B and C hear of them only by LISTEN/NOTIFY) ending
 * evenly over `spreadMs`, and is killed with SIGKILL before the first one ends. B and C must revoke
 * every one, once, on time: lag = when the revoke call reached the provider − expires_at, taken by the
 * in-process provider of the replica that revoked (same machine, same clock as expires_at).
 */
export async function replicasLagScenario(sizes: ReplicasLagSizes): Promise<ScenarioResult> {
  const started = performance.now();
  const db = await benchDatabase();
  if (typeof db === "string") return skipped(SCENARIO, db, started);
  const replicas = await startReplicas(db, { providerType: "entra-group", latencyMs: 0 });
  const [a, b, c] = replicas.bots;
  try {
    if (!a || !b || !c) throw new Error("three replicas expected");
    // Time for A to write them (four audited transactions each, ~3.5 ms apiece here) and to die.
    const leadMs = 1_500 + sizes.grants * 30;
    const t0 = Date.now() + leadMs;
    const step = sizes.spreadMs / Math.max(1, sizes.grants);
    const seeded = await a.seed(Array.from({ length: sizes.grants }, (_, i) => Math.round(t0 + i * step)));
    const revokedByA = (await a.revokes()).length;
    const killedAheadMs = t0 - Date.now();
    await a.kill();
    const expiresAt = new Map(seeded.map((s) => [s.requestId, s.expiresAt]));
    let calls: { b: RevokeCall[]; c: RevokeCall[] } = { b: [], c: [] };
    const finished = await until(
      async () => {
        calls = { b: await b.revokes(), c: await c.revokes() };
        return calls.b.length + calls.c.length >= seeded.length;
      },
      leadMs + sizes.spreadMs + 30_000,
      200,
    );
    await Promise.all([b.idle(), c.idle()]);
    calls = { b: await b.revokes(), c: await c.revokes() };
    const all = [...calls.b, ...calls.c];
    const perGrant = new Map<string, number>();
    for (const call of all) perGrant.set(call.requestId, (perGrant.get(call.requestId) ?? 0) + 1);
    const duplicates = [...perGrant.values()].filter((n) => n > 1).length;
    const missing = seeded.filter((s) => !perGrant.has(s.requestId)).length;
    const lag = summarize(all.map((call) => call.at - (expiresAt.get(call.requestId) ?? call.at)));
    const exactlyOnce = duplicates === 0 && missing === 0 && all.length === seeded.length;
    return {
      scenario: SCENARIO,
      rows: [
        {
          scenario: SCENARIO,
          metric:
            `granting replica SIGKILLed ${round(killedAheadMs / 1000)} s before the first of ${sizes.grants} expiries ` +
            `(over ${sizes.spreadMs / 1000} s); the other two revoked ${calls.b.length} + ${calls.c.length}`,
          unit: "ms",
          stats: lag,
          target: "p99 ≤ 1 s",
          met: lag.n > 0 && lag.p99 <= 1_000,
        },
        {
          scenario: SCENARIO,
          metric: "  each revoked exactly once, by B or C",
          unit: "count",
          value: perGrant.size,
          target: "all, once",
          met: exactlyOnce,
        },
      ],
      checks: {
        seeded: seeded.length,
        revoked: all.length,
        duplicates,
        missing,
        revokedByA,
        killedBeforeFirstExpiry: killedAheadMs > 0,
        finished,
      },
      details: { replicas: 3, database: replicas.db.where, killedAheadMs, byB: calls.b.length, byC: calls.c.length },
      wallMs: performance.now() - started,
    };
  } finally {
    await replicas.close();
  }
}
