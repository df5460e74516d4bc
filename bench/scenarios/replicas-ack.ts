import { AckLoad, approvalsIn, KINDS, type Phase } from "../lib/ack-load.js";
import { benchDatabase, skipped, startReplicas } from "../lib/replicas.js";
import { BenchSlackClient } from "../lib/slack-client.js";
import { type ScenarioResult, summarize, until } from "../lib/stats.js";
import type { AckSizes } from "./ack.js";

const SCENARIO = "ack, 3 replicas";

/**
 * The ack scenario's mix and sizes, spread round-robin over three bot processes on one PostgreSQL
 * schema (one fake Slack between them): what the single SQLite replica's ack row becomes behind an
 * HTTP-mode Service. Requests to approve are filed through replica A; each click goes to whichever
 * replica its turn falls on. On this machine the three processes share the same two cores with the
 * load generator and PostgreSQL, so this measures the cost of the database round trips and of the
 * processes competing, not the capacity three nodes would have.
 */
export async function replicasAckScenario(sizes: AckSizes): Promise<ScenarioResult> {
  const started = performance.now();
  const db = await benchDatabase();
  if (typeof db === "string") return skipped(SCENARIO, db, started);
  const replicas = await startReplicas(db, { latencyMs: 0 });
  const clients = replicas.bots.map((b) => new BenchSlackClient(b.url));
  try {
    const warmup: Phase = { kinds: KINDS, concurrency: sizes.concurrency, total: sizes.warmup ?? 0 };
    const target: Phase = { kinds: KINDS, concurrency: sizes.concurrency, total: sizes.total };
    const [a] = replicas.bots;
    const pending = (await a?.file(approvalsIn(warmup) + approvalsIn(target))) ?? [];
    const load = new AckLoad(replicas.bots, clients, pending);
    await load.run(warmup);
    const main = await load.run(target);
    // An Approve is acknowledged before its grant runs: the last ones may still be granting.
    const grantsMade = async () =>
      (await Promise.all(replicas.bots.map((b) => b.stats()))).reduce((n, s) => n + s.grants, 0);
    await until(async () => (await grantsMade()) >= pending.length, 30_000, 100);
    const stats = await Promise.all(replicas.bots.map((b) => b.stats()));
    const overall = summarize(main.all);
    const rows: ScenarioResult["rows"] = [
      {
        scenario: SCENARIO,
        metric:
          `HTTP 200, ${sizes.concurrency} concurrent over 3 replicas on PostgreSQL, ${sizes.total} total ` +
          `(after ${warmup.total} warm-up; ${main.perSecond} req/s, ${main.cpuMsPerRequest.toFixed(2)} ms bot CPU each)`,
        unit: "ms",
        stats: overall,
        target: "p99 ≤ 50 ms",
        met: overall.p99 <= 50,
      },
    ];
    for (const kind of KINDS) {
      rows.push({
        scenario: SCENARIO,
        metric: `  ${kind}`,
        unit: "ms",
        stats: summarize(main.byKind.get(kind) ?? []),
        target: "",
      });
    }
    return {
      scenario: SCENARIO,
      rows,
      checks: {
        answered: main.all.length,
        errors: load.errors,
        granted: stats.reduce((n, s) => n + s.grants, 0),
        approvals: pending.length,
      },
      details: {
        replicas: 3,
        database: replicas.db.where,
        requestsPerSecond: main.perSecond,
        botCpuMsPerRequest: Math.round(main.cpuMsPerRequest * 1000) / 1000,
        botEventLoopDelayMs: main.loopDelay,
        replicaPeakRssMB: stats.map((s) => s.maxRssMB),
        errorKinds: load.errorKinds,
      },
      wallMs: performance.now() - started,
    };
  } finally {
    for (const client of clients) client.close();
    await replicas.close();
  }
}
