import { randomUUID } from "node:crypto";
import { Store } from "../../src/store/index.js";
import { identityEndpoint } from "../../test/entra/harness.js";
import { startFakeGraph } from "../../test/fakes/graph-server.js";
import { examplePolicy } from "../../test/support/bot.js";
import { PROFILE } from "../lib/people.js";
import { benchDatabase, skipped, startReplicas } from "../lib/replicas.js";
import { activeCount, bulkSeedActiveGrants, endedCount } from "../lib/seed.js";
import { round, type ScenarioResult, until } from "../lib/stats.js";
import { startThrottleProxy } from "../lib/throttle-proxy.js";
import type { MassSizes } from "./mass-expiry.js";

const SCENARIO = "mass expiry, 3 replicas";

/**
 * The mass-expiry scenario with three bot processes on one PostgreSQL schema. Each runs the real
 * entra-group provider (Graph SDK, retry handler, managed-identity token from this process); all three
 * reach the one fake Graph in this process through the one token bucket, so they share its ceiling as
 * replicas of one app share Graph's per-app limit. Exactly-once is counted there: each
 * `DELETE …/members/{id}/$ref` must reach Graph once. The grants are written in bulk (multi-row
 * INSERTs, no audit rows) before the bots start; see bulkSeedActiveGrants.
 */
export async function replicasMassScenario(sizes: MassSizes): Promise<ScenarioResult> {
  const started = performance.now();
  const database = await benchDatabase();
  if (typeof database === "string") return skipped(SCENARIO, database, started);
  await identityEndpoint();
  const graph = await startFakeGraph();
  const proxy = await startThrottleProxy(graph.baseUrl, sizes.ratePerSecond, sizes.burst);
  const profile = examplePolicy().profiles.find((p) => p.id === PROFILE);
  const groupId = profile?.grant.type === "entra-group" ? profile.grant.groupId : "";
  const userIds = Array.from({ length: sizes.grants }, (_, i) => {
    const upn = `bench${i}@contoso.com`;
    return graph.directory.addUser({ id: randomUUID(), userPrincipalName: upn, mail: upn }).id;
  });
  graph.directory.addGroup(groupId, userIds);
  let ids: string[] = [];
  let dueSecond = 0;
  let seedMs = 0;
  let store: Store | undefined;
  const replicas = await startReplicas(database, {
    providerType: "entra-group",
    graphBaseUrl: proxy.baseUrl,
    before: async (db) => {
      store = await Store.open(db.url);
      const seedStart = Date.now();
      // Past the seed (~1 s per 10,000 rows here) and three bot processes' start-up, so the timers fire.
      dueSecond = Math.ceil((seedStart + (sizes.leadMs ?? 8_000) + sizes.grants * 0.3) / 1000) * 1000;
      ids = await bulkSeedActiveGrants(store, {
        count: sizes.grants,
        expiresAt: (i) => dueSecond + (i % 1000),
        state: (i) => ({ userId: userIds[i] ?? "", groupId, standingMember: false }),
      });
      seedMs = Date.now() - seedStart;
    },
  });
  try {
    if (!store) throw new Error("the store was not seeded");
    const db = store;
    const readyBeforeDueMs = dueSecond - Date.now();
    // CPU from here on is the expiry's (the start-up's is not), when the replicas were up before the due second.
    const cpuBefore = await Promise.all(replicas.bots.map((b) => b.stats()));
    const budgetMs = (sizes.grants / sizes.ratePerSecond) * 3_000 + 30_000;
    const finished = await until(
      async () => (await activeCount(db)) === 0,
      Math.max(0, dueSecond - Date.now()) + budgetMs,
      250,
    );
    await Promise.all(replicas.bots.map((b) => b.idle()));
    const deletes = graph.calls.filter((c) => c.method === "DELETE");
    const perPath = new Map<string, number>();
    for (const call of deletes) perPath.set(call.path, (perPath.get(call.path) ?? 0) + 1);
    const first = Math.min(...deletes.map((c) => c.at));
    const last = Math.max(...deletes.map((c) => c.at));
    const elapsedS = Math.max(0.001, (last - first) / 1000 + 1 / sizes.ratePerSecond);
    const throughput = deletes.length / elapsedS;
    const share = (throughput / sizes.ratePerSecond) * 100;
    const stillMembers = graph.directory.groups.get(groupId)?.size ?? -1;
    const ended = await endedCount(db, ids);
    const exactlyOnce = ended === sizes.grants && stillMembers === 0 && [...perPath.values()].every((n) => n === 1);
    const cpu = await Promise.all(replicas.bots.map((b) => b.stats()));
    const expiryCpuMs = cpu.map((s, i) => s.cpuMs - (cpuBefore[i]?.cpuMs ?? 0));
    // When the second DELETE of a user came, after the due second: a lease that lapsed mid-sweep shows late.
    const seenPath = new Set<string>();
    const repeatsAfterDueS = deletes
      .filter((call) => seenPath.has(call.path) || !seenPath.add(call.path))
      .map((call) => round((call.at - dueSecond) / 1000));
    return {
      scenario: SCENARIO,
      rows: [
        {
          scenario: SCENARIO,
          metric: `${sizes.grants} due in one second, one Graph throttle of ${sizes.ratePerSecond} req/s shared: throughput`,
          unit: "%",
          value: round(share),
          target: "≥ 90 % of ceiling",
          met: share >= 90,
        },
        {
          scenario: SCENARIO,
          metric: "  all revoked exactly once (DELETEs counted at the shared Graph)",
          unit: "count",
          value: ended,
          target: "all, once",
          met: exactlyOnce,
        },
        {
          scenario: SCENARIO,
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
        activeAtEnd: await activeCount(db),
        readyBeforeDue: readyBeforeDueMs > 0,
      },
      details: {
        replicas: 3,
        database: replicas.db.where,
        seedMs,
        readyBeforeDueMs,
        startedLateMs: first - dueSecond,
        throughputPerSecond: round(throughput),
        graphCalls: proxy.passed,
        throttled: proxy.throttled,
        elapsedS,
        replicaCpuMs: cpu.map((s) => s.cpuMs),
        replicaCpuMsDuringExpiry: expiryCpuMs,
        // The three bots' CPU per revoke (start-up excluded): what decides the rate on shared cores.
        cpuMsPerRevoke: round(expiryCpuMs.reduce((a, b) => a + b, 0) / Math.max(1, ended)),
        // A revoke's DELETE plus its share of the coalesced read-backs: both count against the throttle.
        graphCallsPerRevoke: round(proxy.passed / Math.max(1, deletes.length)),
        repeatedDeletes: repeatsAfterDueS.length,
        firstRepeatAfterDueS: repeatsAfterDueS.length ? Math.min(...repeatsAfterDueS) : null,
      },
      wallMs: performance.now() - started,
    };
  } finally {
    // This process's store first: dropping the database cuts every connection still open to it.
    await store?.close();
    await replicas.close();
    await proxy.close();
    await graph.close();
  }
}
