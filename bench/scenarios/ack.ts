import { requesterId } from "../lib/people.js";
import { startRemoteBot } from "../lib/remote-bot.js";
import { BenchSlackClient } from "../lib/slack-client.js";
import { type ScenarioResult, summarize } from "../lib/stats.js";

export interface AckSizes {
  total: number;
  concurrency: number;
  /** Requests of the same mix sent first and not timed: a fresh process runs cold (JIT, lazy loads). */
  warmup?: number;
}

type Kind = "help" | "list" | "request" | "approve";
const KINDS: Kind[] = ["help", "list", "request", "approve"];

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
    const approvals = Math.ceil(sizes.total / KINDS.length);
    const pending = await b.file(approvals + Math.ceil(warmup / KINDS.length));
    const client = new BenchSlackClient(b.url);
    const byKind = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const all: number[] = [];
    let errors = 0;
    const send = (i: number): Promise<number> => {
      const kind = KINDS[i % KINDS.length] as Kind;
      const user = requesterId(i % 50);
      if (kind === "help") return client.command(user, "help");
      if (kind === "list") return client.command(user, "list");
      if (kind === "request") return client.command(user, "request aks-prod-sre 2h fixing the ingress controller");
      const target = pending[Math.floor(i / KINDS.length)];
      return target ? client.approve(target.id, target.channel, target.ts) : client.command(user, "help");
    };
    /** Requests [from, to) of the mix, `concurrency` in flight; `record` false for the warm-up. */
    const run = async (from: number, to: number, record: boolean) => {
      let next = from;
      const worker = async () => {
        while (next < to) {
          const i = next++;
          try {
            const ms = await send(i);
            if (!record) continue;
            all.push(ms);
            byKind.get(KINDS[i % KINDS.length] as Kind)?.push(ms);
          } catch {
            errors++;
          }
        }
      };
      await Promise.all(Array.from({ length: sizes.concurrency }, worker));
    };
    await run(0, warmup, false);
    await b.idle();
    const before = await b.stats();
    const loadStarted = performance.now();
    await run(warmup, warmup + sizes.total, true);
    const loadMs = performance.now() - loadStarted;
    client.close();
    await b.idle();
    const after = await b.stats();
    const bot = await b.close();
    closed = true;
    const overall = summarize(all);
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
        stats: summarize(byKind.get(kind) ?? []),
        target: "",
      });
    }
    return {
      scenario: "ack",
      rows,
      checks: { answered: all.length, errors, granted: bot.grants, approvals: pending.length },
      details: {
        requestsPerSecond: Math.round(all.length / (loadMs / 1000)),
        botCpuMsPerRequest: Math.round(((after.cpuMs - before.cpuMs) / all.length) * 1000) / 1000,
        botPeakRssMB: bot.maxRssMB,
        botRuntime: bot.runtime,
      },
      wallMs: performance.now() - started,
    };
  } finally {
    if (!closed) await b.close();
  }
}
