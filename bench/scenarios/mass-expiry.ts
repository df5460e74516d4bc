import { randomUUID } from "node:crypto";
import { createEntraProviders } from "../../src/grants/entra/index.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { identityEndpoint } from "../../test/entra/harness.js";
import { startFakeGraph } from "../../test/fakes/graph-server.js";
import { examplePolicy } from "../../test/support/bot.js";
import { PROFILE, startBenchBot } from "../lib/bot.js";
import { activeCount, endedCount, seedActiveGrants } from "../lib/seed.js";
import { round, type ScenarioResult, until } from "../lib/stats.js";
import { startThrottleProxy } from "../lib/throttle-proxy.js";

export interface MassSizes {
  grants: number;
  ratePerSecond: number;
  /** The throttle's bucket size; default one second of the rate. */
  burst?: number;
  /** Replicas: how far ahead of the seed the due second lies, to cover three bot processes' start. */
  leadMs?: number;
}

/**
 * `grants` entra-group grants end in the same second. The real provider (Graph SDK, its retry
 * handler, managed-identity token) removes each membership from the fake Graph over HTTPS, through a
 * token bucket that answers 429 + Retry-After above `ratePerSecond`. Every user must be removed
 * exactly once, and the whole run should use ≥ 90 % of the ceiling.
 */
export async function massExpiryScenario(sizes: MassSizes): Promise<ScenarioResult> {
  const started = performance.now();
  await identityEndpoint();
  const graph = await startFakeGraph();
  const proxy = await startThrottleProxy(graph.baseUrl, sizes.ratePerSecond, sizes.burst);
  const policy = examplePolicy();
  const profile = policy.profiles.find((p) => p.id === PROFILE);
  const groupId = profile?.grant.type === "entra-group" ? profile.grant.groupId : "";
  const userIds = Array.from({ length: sizes.grants }, (_, i) => {
    const upn = `bench${i}@contoso.com`;
    return graph.directory.addUser({ id: randomUUID(), userPrincipalName: upn, mail: upn }).id;
  });
  graph.directory.addGroup(groupId, userIds);
  const provider = createEntraProviders({ env: { GRAPH_BASE_URL: proxy.baseUrl }, policy }).find(
    (p): p is GrantProvider => p.type === "entra-group",
  );
  const seedStart = Date.now();
  // Far enough ahead that seeding and start-up finish first, so the timer (not start-up) fires.
  const dueSecond = Math.ceil((seedStart + 2_000 + sizes.grants * 0.5) / 1000) * 1000;
  let ids: string[] = [];
  const b = await startBenchBot({
    provider,
    seed: async (store) => {
      ids = await seedActiveGrants(store, {
        count: sizes.grants,
        expiresAt: (i) => dueSecond + (i % 1000),
        state: (i) => ({ userId: userIds[i] ?? "", groupId, standingMember: false }),
      });
    },
  });
  try {
    const budgetMs = (sizes.grants / sizes.ratePerSecond) * 3_000 + 30_000;
    const finished = await until(
      async () => (await activeCount(b.store)) === 0,
      Math.max(0, dueSecond - Date.now()) + budgetMs,
      50,
    );
    await b.bot.engine.idle();
    const deletes = graph.calls.filter((c) => c.method === "DELETE");
    const perPath = new Map<string, number>();
    for (const c of deletes) perPath.set(c.path, (perPath.get(c.path) ?? 0) + 1);
    const first = Math.min(...deletes.map((c) => c.at));
    const last = Math.max(...deletes.map((c) => c.at));
    const elapsedS = Math.max(0.001, (last - first) / 1000 + 1 / sizes.ratePerSecond);
    const throughput = deletes.length / elapsedS;
    const share = (throughput / sizes.ratePerSecond) * 100;
    const stillMembers = graph.directory.groups.get(groupId)?.size ?? -1;
    const ended = await endedCount(b.store, ids);
    const exactlyOnce = ended === sizes.grants && stillMembers === 0 && [...perPath.values()].every((n) => n === 1);
    return {
      scenario: "mass expiry",
      rows: [
        {
          scenario: "mass expiry",
          metric: `${sizes.grants} due in one second, Graph ${sizes.ratePerSecond} req/s: throughput`,
          unit: "%",
          value: round(share),
          target: "≥ 90 % of ceiling",
          met: share >= 90,
        },
        {
          scenario: "mass expiry",
          metric: "  all revoked exactly once",
          unit: "count",
          value: ended,
          target: "all, once",
          met: exactlyOnce,
        },
        {
          scenario: "mass expiry",
          metric: "  last revoked, after the due second",
          unit: "s",
          value: round((last - dueSecond) / 1000),
          target: "",
        },
      ],
      checks: {
        ended,
        exactlyOnce,
        stillMembers,
        deletes: deletes.length,
        distinctUsers: perPath.size,
        throttled: proxy.throttled,
        finished,
        activeAtEnd: await activeCount(b.store),
      },
      details: {
        startedLateMs: Math.max(0, Math.min(...deletes.map((c) => c.at)) - dueSecond),
        throughputPerSecond: round(throughput),
        passed: proxy.passed,
        throttled: proxy.throttled,
        elapsedS,
      },
      wallMs: performance.now() - started,
    };
  } finally {
    await b.close();
    await proxy.close();
    await graph.close();
  }
}
