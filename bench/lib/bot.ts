import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJitbot, type Jitbot } from "../../src/compose.js";
import type { GrantType, Policy } from "../../src/config/schema.js";
import { type Clock, systemClock } from "../../src/domain/clock.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { Store } from "../../src/store/index.js";
import { examplePolicy } from "../../test/support/bot.js";
import { benchPeople, SIGNING_SECRET } from "./people.js";

export { APPROVER, benchPeople, PROFILE, requesterId, SIGNING_SECRET } from "./people.js";

export interface BenchBot {
  bot: Jitbot;
  slack: FakeSlackWebApi;
  store: Store;
  policy: Policy;
  dbFile: string;
  close(): Promise<void>;
}

export interface BenchBotOptions {
  provider?: GrantProvider;
  /** The example policy unless a scenario needs its own profiles. */
  policy?: Policy;
  clock?: Clock;
  /** Runs on the store before the bot starts (start-up reconcile and sweep see it). */
  seed?: (store: Store, policy: Policy) => void | Promise<void>;
  /** An existing database file (the idle-sweep store); a fresh temp file otherwise. */
  dbFile?: string;
  requesters?: number;
  concurrency?: number;
}

/** The real bot (Bolt HTTP, SQLite file, WebClient) against the fake Slack, quiet logs, cron off. */
export async function startBenchBot(options: BenchBotOptions = {}): Promise<BenchBot> {
  const tmp = options.dbFile ? undefined : mkdtempSync(join(tmpdir(), "jitbot-bench-"));
  const dbFile = options.dbFile ?? join(tmp ?? "", "jitbot.db");
  const slack = new FakeSlackWebApi(benchPeople(options.requesters));
  const apiUrl = await slack.listen();
  const store = await Store.open(dbFile);
  const policy = options.policy ?? examplePolicy();
  const providers = new Map<GrantType, GrantProvider>(dryRunProviders());
  if (options.provider) providers.set(options.provider.type, options.provider);
  await options.seed?.(store, policy);
  const bot = createJitbot({
    policy,
    store,
    providers,
    logger: createLogger(process.env.JITBOT_BENCH_LOG ?? "silent"),
    clock: options.clock ?? systemClock,
    slack: { botToken: slack.token, signingSecret: SIGNING_SECRET, apiUrl, retries: 0 },
    port: 0,
    host: "127.0.0.1",
    cron: false,
    engine: options.concurrency ? { concurrency: options.concurrency } : undefined,
  });
  await bot.start();
  return {
    bot,
    slack,
    store,
    policy,
    dbFile,
    async close() {
      // Listeners keep calling Slack after their ack (views.open, replies); let that finish first.
      await quiesce(slack);
      await bot.stop(2_000);
      await store.close();
      await slack.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Waits until the fake Slack has seen no call for 250 ms (at most 5 s). */
export async function quiesce(slack: FakeSlackWebApi): Promise<void> {
  const deadline = Date.now() + 5_000;
  let seen = -1;
  while (seen !== slack.calls.length && Date.now() < deadline) {
    seen = slack.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
