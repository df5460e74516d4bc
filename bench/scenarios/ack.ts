import { AckLoad, approvalsIn, KINDS, type Kind, type Phase } from "../lib/ack-load.js";
import { startRemoteBot } from "../lib/remote-bot.js";
import { BenchSlackClient } from "../lib/slack-client.js";
import { type ScenarioResult, summarize } from "../lib/stats.js";

export interface AckSizes {
  total: number;
  concurrency: number;
  /** Requests of the same mix sent first and not timed: a fresh process runs cold (JIT, lazy loads). */
  warmup?: number;
  /**
   * Reference runs after the target run, reported beside it: the same mix with fewer in flight, and
   * `/jit help` alone at full concurrency (the least work any request can cost: Bolt's floor).
   */
  reference?: { concurrency: number; total: number };
}

/**
 * Slack drops what is not acknowledged in 3 s. A mix of the four things people do most — /jit help,
 * /jit list, /jit request (opens the modal) and Approve clicks (which start a grant in the background)
 * — `concurrency` at a time, timed from send to HTTP 200. The bot runs in its own process (compiled
 * JS when built); the fake Slack and this load generator run here, as Slack is elsewhere in production.
 */
export async function ackScenario(sizes: AckSizes): Promise<ScenarioResult> {
  const started = performance.now();
  const b = await startRemoteBot({ latencyMs: 0 });
  let closed = false;
  try {
    const warmup = sizes.warmup ?? 0;
    const reference = sizes.reference;
    const target: Phase = { kinds: KINDS, concurrency: sizes.concurrency, total: sizes.total };
    const phases = {
      warmup: { kinds: KINDS, concurrency: sizes.concurrency, total: warmup },
      target,
      fewer: reference && { kinds: KINDS, concurrency: reference.concurrency, total: reference.total },
      floor: reference && { kinds: ["help"] as Kind[], concurrency: sizes.concurrency, total: sizes.total },
    };
    const pending = await b.file(
      [phases.warmup, target, phases.fewer].reduce((n, p) => n + (p ? approvalsIn(p) : 0), 0),
    );
    const client = new BenchSlackClient(b.url);
    const load = new AckLoad([b], [client], pending);
    const run = (phase: Phase) => load.run(phase);
    await run(phases.warmup);
    const main = await run(target);
    const fewer = phases.fewer && (await run(phases.fewer));
    const floor = phases.floor && (await run(phases.floor));
    client.close();
    const bot = await b.close();
    closed = true;
    const overall = summarize(main.all);
    const rows: ScenarioResult["rows"] = [
      {
        scenario: "ack",
        metric: `HTTP 200, ${sizes.concurrency} concurrent, ${sizes.total} total (after ${warmup} warm-up)`,
        unit: "ms",
        stats: overall,
        target: "p99 ≤ 50 ms",
        met: overall.p99 <= 50,
      },
    ];
    for (const kind of KINDS) {
      rows.push({
        scenario: "ack",
        metric: `  ${kind}`,
        unit: "ms",
        stats: summarize(main.byKind.get(kind) ?? []),
        target: "",
      });
    }
    if (fewer && phases.fewer) {
      rows.push({
        scenario: "ack",
        metric: `  same mix, ${phases.fewer.concurrency} concurrent, ${phases.fewer.total} total`,
        unit: "ms",
        stats: summarize(fewer.all),
        target: "reported",
      });
    }
    if (floor) {
      rows.push({
        scenario: "ack",
        metric: `  floor: /jit help only, ${sizes.concurrency} concurrent (${floor.perSecond} req/s)`,
        unit: "ms",
        stats: summarize(floor.all),
        target: "reported",
      });
    }
    const cpu = (ms: number) => Math.round(ms * 1000) / 1000;
    return {
      scenario: "ack",
      rows,
      checks: {
        answered: main.all.length,
        referenceAnswered: (fewer?.all.length ?? 0) + (floor?.all.length ?? 0),
        errors: load.errors,
        granted: bot.grants,
        approvals: pending.length,
      },
      details: {
        requestsPerSecond: main.perSecond,
        botCpuMsPerRequest: cpu(main.cpuMsPerRequest),
        botEventLoopDelayMs: main.loopDelay,
        floorRequestsPerSecond: floor?.perSecond,
        floorBotCpuMsPerRequest: floor && cpu(floor.cpuMsPerRequest),
        botPeakRssMB: bot.maxRssMB,
        botRuntime: bot.runtime,
      },
      wallMs: performance.now() - started,
    };
  } finally {
    if (!closed) await b.close();
  }
}
