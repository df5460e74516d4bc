/**
 * The bot process of the production-like bench: the real bot (Bolt HTTP receiver, SQLite file or
 * PostgreSQL, WebClient) and nothing else — the fake Slack and the load generator live in the parent. Run from
 * compiled JS (`dist/.bench/bench/host/bot-host.js`, built by `npm run bench`), or under tsx when no
 * build is there (the smoke test). Settings come as JSON in JITBOT_BENCH_HOST; commands over IPC.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createJitbot } from "../../src/compose.js";
import { parsePolicy } from "../../src/config/load.js";
import type { GrantType } from "../../src/config/schema.js";
import { systemClock } from "../../src/domain/clock.js";
import { createEntraProviders } from "../../src/grants/entra/index.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import { Store } from "../../src/store/index.js";
import { LatencyProvider } from "../lib/latency-provider.js";
import { filePendingRequests } from "../lib/pending.js";
import { seedActiveGrants } from "../lib/seed.js";
import type { HostCommand, HostConfig, HostReply, HostStats } from "./protocol.js";

const config = JSON.parse(process.env.JITBOT_BENCH_HOST ?? "{}") as HostConfig;
const send = (reply: HostReply) => process.send?.(reply);
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

const examplePolicy = new URL("../../jitbot.example.yaml", import.meta.url);
// Compiled, this file sits two levels deeper (dist/.bench/bench/host/): look there too.
const policyText = (() => {
  for (const url of [examplePolicy, new URL("../../../../jitbot.example.yaml", import.meta.url)]) {
    try {
      return readFileSync(url, "utf8");
    } catch {}
  }
  throw new Error("jitbot.example.yaml not found");
})();
const policy = parsePolicy(policyText, "jitbot.example.yaml");
const store = await Store.open(config.database);
const provider = new LatencyProvider(config.providerType, config.latencyMs, systemClock);
const providers = new Map<GrantType, GrantProvider>(dryRunProviders());
providers.set(provider.type, provider);
if (config.graphBaseUrl) {
  // The real Entra providers; the token comes from the bench's managed-identity endpoint (IDENTITY_*).
  for (const real of createEntraProviders({ env: { GRAPH_BASE_URL: config.graphBaseUrl }, policy })) {
    providers.set(real.type, real);
  }
}
// Production logs JSON to stdout at LOG_LEVEL (default info); the parent points stdout at /dev/null.
const bot = createJitbot({
  policy,
  store,
  providers,
  logger: createLogger(config.logLevel),
  clock: systemClock,
  replicaId: config.replicaId,
  slack: { botToken: config.slackToken, signingSecret: config.signingSecret, apiUrl: config.slackApiUrl, retries: 0 },
  port: 0,
  host: "127.0.0.1",
  cron: false,
  engine: config.concurrency ? { concurrency: config.concurrency } : undefined,
});

// How long the bot's event loop was blocked: every request waits behind the longest blocks.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

function stats(): HostStats {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    grants: provider.grants.length,
    revokes: provider.revokes.length,
    duplicates: provider.duplicates(),
    rssMB: mb(memory.rss),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
    heapUsedMB: mb(memory.heapUsed),
    heapTotalMB: mb(memory.heapTotal),
    loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
    loopDelayMaxMs: Math.round(loopDelay.max / 1e4) / 100,
    externalMB: mb(memory.external),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    runtime: import.meta.url.endsWith(".js") ? "compiled" : "tsx",
  };
}

async function handle(command: HostCommand): Promise<HostReply> {
  switch (command.cmd) {
    case "file":
      return { type: "reply", id: command.id, value: await filePendingRequests(bot.service, command.count) };
    case "seed": {
      const ids = await seedActiveGrants(store, {
        count: command.expiresAt.length,
        expiresAt: (i) => command.expiresAt[i] ?? Date.now(),
      });
      return {
        type: "reply",
        id: command.id,
        value: ids.map((requestId, i) => ({ requestId, expiresAt: command.expiresAt[i] ?? 0 })),
      };
    }
    case "revokes":
      return { type: "reply", id: command.id, value: provider.revokes };
    case "idle":
      await bot.engine.idle();
      return { type: "reply", id: command.id, value: null };
    case "stats":
      return { type: "reply", id: command.id, value: stats() };
    case "resetLoopDelay":
      loopDelay.reset();
      return { type: "reply", id: command.id, value: null };
    case "stop": {
      await bot.stop(2_000);
      const last = stats();
      await store.close();
      return { type: "reply", id: command.id, value: last };
    }
  }
}

process.on("message", (command: HostCommand) => {
  handle(command).then(
    (reply) => {
      send(reply);
      // Exit normally after the last answer, so --cpu-prof writes its profile.
      if (command.cmd === "stop") process.disconnect?.();
    },
    (error: unknown) => send({ type: "error", id: command.id, message: String(error) }),
  );
});
process.on("disconnect", () => setTimeout(() => process.exit(0), 50));

await bot.start();
send({ type: "ready", url: bot.url });
