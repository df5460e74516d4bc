import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import { createJitbot, type Jitbot } from "../../src/compose.js";
import { parsePolicy } from "../../src/config/load.js";
import type { Policy } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import type { GrantEngine } from "../../src/grants/engine.js";
import { dryRunProviders, type ProviderRegistry } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import type { OnCallLookup } from "../../src/oncall/index.js";
import { FakeSlackWebApi, type FakeUser } from "../../src/playground/slack-web-api.js";
import type { StepUpSettings } from "../../src/stepup/settings.js";
import { type EngineKind, Store } from "../../src/store/index.js";
import { dropSchema, dropSchemas, freshSchemaUrl } from "./postgres.js";
import { SlackDriver } from "./slack-driver.js";
import { tempDir } from "./temp.js";

export const SIGNING_SECRET = "test-signing-secret-0123456789abcdef";

export const PEOPLE: FakeUser[] = [
  { id: "U0ALICE", name: "Alice Requester", email: "alice@contoso.com", groups: ["S0SRE"] },
  { id: "U0LEAD", name: "Lee Lead", email: "lee@contoso.com", groups: ["S0ONCALL"] },
  { id: "U0OMAR", name: "Omar Oncall", email: "omar@contoso.com", groups: ["S0ONCALL", "S0SRE"] },
  { id: "U0EVE", name: "Eve Outsider", email: "eve@contoso.com" },
  { id: "U0NOMAIL", name: "No Mail", groups: ["S0SRE"] },
];

export function examplePolicy(edit: (yaml: string) => string = (y) => y): Policy {
  const yaml = readFileSync(new URL("../../jitbot.example.yaml", import.meta.url), "utf8");
  return parsePolicy(edit(yaml), "jitbot.example.yaml");
}

export interface TestBot {
  bot: Jitbot;
  slack: FakeSlackWebApi;
  driver: SlackDriver;
  store: Store;
  /** Where the store is: a SQLite file, or a postgres:// URL naming the bot's schema. */
  location: string;
  clock: ManualClock;
  policy: Policy;
  providers: ProviderRegistry;
  logs: string[];
  /** Waits for background work (grants after approval) to settle. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface TestBotOptions {
  policy?: Policy;
  providers?: ProviderRegistry;
  people?: FakeUser[];
  clock?: ManualClock;
  /** A database to open (from botDatabases(), to restart on it, or a PostgreSQL URL several bots share); by default a fresh one of its own. */
  location?: string;
  /** A fake Slack several bots share (replicas of one app); the caller closes it. */
  slack?: { api: FakeSlackWebApi; apiUrl: string };
  replicaId?: string;
  engine?: { concurrency?: number; crashAfterProviderCall?: (verb: "grant" | "revoke", id: string) => void };
  /** On-call lookups for approval.autoApproveOnCall, built on the bot's clock; none by default. */
  onCall?: (clock: ManualClock) => OnCallLookup;
  /** Approver step-up's sign-in settings (test/stepup/harness.ts points them at a fake Entra). */
  stepUp?: StepUpSettings;
}

/**
 * The engine the bots of a test run use: SQLite, or PostgreSQL in the vitest project "postgres",
 * which sets JITBOT_TEST_ENGINE (vitest.config.ts), on a schema of JITBOT_TEST_DATABASE_URL.
 */
export function botEngine(): EngineKind {
  return process.env.JITBOT_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";
}

/**
 * Databases that outlive one bot, for tests that stop a bot and start another on the same one: a
 * file in a temporary folder, or a fresh schema on PostgreSQL. Call at the top of a test file
 * (before its own afterAll, which closes the bots): the folder and the schemas go after it.
 */
export function botDatabases(): { location(): string } {
  const tmp = tempDir();
  let n = 0;
  afterAll(async () => {
    tmp.cleanup();
    await dropSchemas();
  });
  return { location: () => (botEngine() === "postgres" ? freshSchemaUrl() : join(tmp.dir, `jitbot-${n++}.db`)) };
}

/**
 * The real bot (Bolt HTTP, the store on the test engine, WebClient) against the fake Slack Web API
 * on 127.0.0.1. Without a `location`, the bot has a database of its own, gone when it closes.
 */
export async function startTestBot(options: TestBotOptions = {}): Promise<TestBot> {
  const own = options.location ? undefined : ownDatabase();
  const location = options.location ?? own?.location ?? "";
  const slack = options.slack?.api ?? new FakeSlackWebApi(options.people ?? PEOPLE);
  const apiUrl = options.slack?.apiUrl ?? (await slack.listen());
  const clock = options.clock ?? new ManualClock(new Date());
  const store = await Store.open(location, { clock });
  const policy = options.policy ?? examplePolicy();
  const providers = options.providers ?? dryRunProviders();
  const logs: string[] = [];
  const logger = createLogger("debug", { write: (line: string) => void logs.push(line) });
  const bot = createJitbot({
    policy,
    store,
    providers,
    logger,
    clock,
    replicaId: options.replicaId,
    slack: { botToken: slack.token, signingSecret: SIGNING_SECRET, apiUrl, retries: 0 },
    port: 0,
    host: "127.0.0.1",
    cron: false,
    engine: options.engine,
    onCall: options.onCall?.(clock),
    stepUp: options.stepUp,
  });
  await bot.start();
  const driver = new SlackDriver(bot.url, SIGNING_SECRET, slack);
  return {
    bot,
    slack,
    driver,
    store,
    location,
    clock,
    policy,
    providers,
    logs,
    settle: () => settle(bot.engine),
    async close() {
      await bot.stop(1_000);
      await store.close();
      if (!options.slack) await slack.close();
      await own?.drop();
    },
  };
}

function ownDatabase(): { location: string; drop(): Promise<void> } {
  if (botEngine() === "postgres") {
    const location = freshSchemaUrl();
    return { location, drop: () => dropSchema(location) };
  }
  const tmp = tempDir();
  return { location: join(tmp.dir, "jitbot.db"), drop: async () => tmp.cleanup() };
}

/** Background work (after the ack) finished: the engine's queue is empty. */
export async function settle(engine: GrantEngine): Promise<void> {
  await engine.idle();
}

/**
 * Moves the clock by `ms`, then waits for `probe` the way a running bot gets there: while it waits,
 * clock time keeps passing (a second per 50 ms of waiting) and, once a minute of it has passed, the
 * minute sweep runs (cron is off in tests). A frozen clock would otherwise hang a test on a timer
 * due a moment after the advance: on PostgreSQL a sweep skips a grant whose row another write holds
 * at that instant (FOR UPDATE SKIP LOCKED; e.g. the DM of a refresh being recorded) and looks again
 * a second later, and the expiry timer hears of changes through NOTIFY, after the write returned.
 * Use it where the test is about what happens at the end, not about the timer's precision (that is
 * test/expiry/'s and the benchmark's).
 */
export async function advanceUntil<T>(
  t: Pick<TestBot, "bot" | "clock">,
  ms: number,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
): Promise<T> {
  await t.clock.advance(ms);
  const deadline = Date.now() + 5_000;
  let passed = 0;
  let stepped = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (Date.now() - stepped >= 50 && passed < 60_000) {
      passed += 1_000;
      await t.clock.advance(1_000);
      if (passed === 60_000) await t.bot.scheduler.run("sweep");
      stepped = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Listeners keep working after Slack's ack, so a test waits for the *outcome* it expects. This
 * polls real I/O, not time: it never decides a test by how fast the machine is (5 s is a hang).
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    // Awaited: a probe that reads the store answers with a promise, which is always truthy.
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
