import { systemClock } from "../../src/domain/clock.js";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { startBenchBot } from "../lib/bot.js";
import { LatencyProvider } from "../lib/latency-provider.js";
import { filePendingRequests } from "../lib/pending.js";
import { BenchSlackClient } from "../lib/slack-client.js";
import { type Row, type ScenarioResult, summarize, until } from "../lib/stats.js";

export interface ApproveSizes {
  requests: number;
  latencies: number[];
}

/**
 * From the Approve click leaving Slack to the DM with connect steps arriving at Slack, one request
 * at a time. Bot overhead = that time − the provider's latency (what the cloud costs is not ours).
 */
export async function approveDmScenario(sizes: ApproveSizes): Promise<ScenarioResult> {
  const started = performance.now();
  const rows: Row[] = [];
  const checks: ScenarioResult["checks"] = {};
  for (const latency of sizes.latencies) {
    const provider = new LatencyProvider("entra-group", latency, systemClock);
    const b = await startBenchBot({ provider });
    try {
      const pending = await filePendingRequests(b.bot.service, sizes.requests);
      const client = new BenchSlackClient(b.bot.url);
      const dmAt = new Map<string, number>();
      const onMessage = (m: PostedMessage) => {
        const id = /JR-[A-Z0-9]{6}/.exec(m.text)?.[0];
        if (id && m.text.startsWith("Access granted") && !dmAt.has(id)) dmAt.set(id, performance.now());
      };
      b.slack.on("message", onMessage);
      const totals: number[] = [];
      const overheads: number[] = [];
      for (const p of pending) {
        const sent = performance.now();
        await client.approve(p.id, p.channel, p.ts);
        if (!(await until(() => dmAt.has(p.id), 10_000, 1))) continue;
        const total = (dmAt.get(p.id) ?? sent) - sent;
        totals.push(total);
        overheads.push(Math.max(0, total - latency));
      }
      b.slack.off("message", onMessage);
      await b.bot.engine.idle();
      const overhead = summarize(overheads);
      rows.push(
        {
          scenario: "approve→DM",
          metric: `bot overhead, provider ${latency} ms`,
          unit: "ms",
          stats: overhead,
          target: "p99 ≤ 100 ms",
          met: overhead.p99 <= 100,
        },
        {
          scenario: "approve→DM",
          metric: `  click → DM total, provider ${latency} ms`,
          unit: "ms",
          stats: summarize(totals),
          target: "",
        },
      );
      checks[`dms_${latency}ms`] = totals.length;
      checks[`grants_${latency}ms`] = provider.grants.length;
    } finally {
      await b.close();
    }
  }
  return { scenario: "approve→DM", rows, checks, wallMs: performance.now() - started };
}
