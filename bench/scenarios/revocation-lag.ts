import { systemClock } from "../../src/domain/clock.js";
import { startBenchBot } from "../lib/bot.js";
import { LatencyProvider, ShiftedClock } from "../lib/latency-provider.js";
import { activeCount, seedActiveGrants } from "../lib/seed.js";
import { type Row, round, type ScenarioResult, type Summary, summarize, until } from "../lib/stats.js";

export interface LagSizes {
  grants: number;
  spreadMs: number;
}

/** Revoke call time − expires_at for every grant; the provider records when each call arrived. */
function lags(provider: LatencyProvider, expiresAt: Map<string, number>): number[] {
  return provider.revokes.map((r) => r.at - (expiresAt.get(r.requestId) ?? r.at));
}

/**
 * The precise timer, real clock: `grants` grants end evenly over `spreadMs`, starting 2 s from now;
 * the bot runs as in production (timer armed for the earliest due_at) and we wait for them.
 */
async function timerRun(sizes: LagSizes): Promise<{ lag: Summary; revoked: number; duplicates: number }> {
  const provider = new LatencyProvider("entra-group", 0, systemClock);
  const expiresAt = new Map<string, number>();
  const t0 = Date.now() + 2_000;
  const step = sizes.spreadMs / Math.max(1, sizes.grants);
  const b = await startBenchBot({
    provider,
    seed: async (store) => {
      const ids = await seedActiveGrants(store, { count: sizes.grants, expiresAt: (i) => Math.round(t0 + i * step) });
      for (const [i, id] of ids.entries()) expiresAt.set(id, Math.round(t0 + i * step));
    },
  });
  try {
    await until(async () => (await activeCount(b.store)) === 0, sizes.spreadMs + 30_000, 20);
    await b.bot.engine.idle();
    return {
      lag: summarize(lags(provider, expiresAt)),
      revoked: provider.revokes.length,
      duplicates: provider.duplicates(),
    };
  } finally {
    await b.close();
  }
}

/**
 * The same grants with the timer off and only the minute sweep, as most tools work. Waiting real
 * minutes would make the bench take ten, so the clock is real time plus an offset that jumps to each
 * minute boundary, where `scheduler.run("sweep")` runs just as node-cron's `* * * * *` would. Expiries
 * are centred on second 30 of a minute (15–45 s for a 30 s spread), so the lag is what a uniformly
 * placed expiry costs on average.
 */
async function sweepOnlyRun(
  sizes: LagSizes,
): Promise<{ lag: Summary; revoked: number; duplicates: number; sweeps: number }> {
  const clock = new ShiftedClock();
  const provider = new LatencyProvider("entra-group", 0, clock);
  const minute = Math.ceil((Date.now() + 60_000) / 60_000) * 60_000;
  const spread = Math.min(sizes.spreadMs, 59_000);
  const first = minute + 30_000 - spread / 2;
  const step = spread / Math.max(1, sizes.grants);
  const expiresAt = new Map<string, number>();
  const b = await startBenchBot({
    provider,
    clock,
    seed: async (store) => {
      const ids = await seedActiveGrants(store, {
        count: sizes.grants,
        expiresAt: (i) => Math.round(first + i * step),
      });
      for (const [i, id] of ids.entries()) expiresAt.set(id, Math.round(first + i * step));
    },
  });
  try {
    b.bot.scheduler.stop(); // the precise timer off: only the "cron" below ends access
    let sweeps = 0;
    for (let tick = minute + 60_000; (await activeCount(b.store)) > 0 && sweeps < 5; tick += 60_000) {
      clock.jumpTo(tick);
      await b.bot.scheduler.run("sweep");
      sweeps++;
    }
    await b.bot.engine.idle();
    return {
      lag: summarize(lags(provider, expiresAt)),
      revoked: provider.revokes.length,
      duplicates: provider.duplicates(),
      sweeps,
    };
  } finally {
    await b.close();
  }
}

export async function revocationLagScenario(sizes: LagSizes): Promise<ScenarioResult> {
  const started = performance.now();
  const timer = await timerRun(sizes);
  const sweep = await sweepOnlyRun(sizes);
  const ratio = timer.lag.p50 > 0 ? sweep.lag.p50 / timer.lag.p50 : Number.POSITIVE_INFINITY;
  const rows: Row[] = [
    {
      scenario: "revocation lag",
      metric: `timer, ${sizes.grants} grants over ${sizes.spreadMs / 1000} s (p99)`,
      unit: "ms",
      stats: timer.lag,
      target: "p99 ≤ 1 s",
      met: timer.lag.p99 <= 1_000,
    },
    {
      scenario: "revocation lag",
      metric: "timer (max)",
      unit: "ms",
      value: timer.lag.max,
      target: "max ≤ 2 s",
      met: timer.lag.max <= 2_000,
    },
    {
      scenario: "sweep only",
      metric: "minute sweep, timer off (simulated clock)",
      unit: "ms",
      stats: sweep.lag,
      target: "reported",
    },
    {
      scenario: "sweep only",
      metric: "ratio sweep-only / timer (p50)",
      unit: "x",
      value: round(ratio, 0),
      target: "reported",
    },
  ];
  return {
    scenario: "revocation lag",
    rows,
    checks: {
      timerRevoked: timer.revoked,
      timerDuplicates: timer.duplicates,
      sweepRevoked: sweep.revoked,
      sweepDuplicates: sweep.duplicates,
    },
    details: {
      sweeps: sweep.sweeps,
      ratioP50: ratio,
      ratioP99: timer.lag.p99 > 0 ? sweep.lag.p99 / timer.lag.p99 : null,
    },
    wallMs: performance.now() - started,
  };
}
