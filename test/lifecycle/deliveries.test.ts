import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJitbot, type Jitbot } from "../../src/compose.js";
import { ManualClock } from "../../src/domain/clock.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { signedHeaders } from "../../src/slack/signing.js";
import { Store } from "../../src/store/index.js";
import { examplePolicy, PEOPLE, SIGNING_SECRET, waitFor } from "../support/bot.js";
import { engines } from "../support/postgres.js";
import { SlackDriver } from "../support/slack-driver.js";

/**
 * Slack retries an Events API delivery with the same event_id (X-Slack-Retry-Num), and behind one
 * Service the retry may reach another replica. Each engine: two replicas, each with its own store
 * connection to one database (SQLite: one process per file, so the one bot gets it twice).
 */
const [sqlite, postgres] = engines();
const engine = postgres ?? sqlite;
if (!engine) throw new Error("no store engine");

const slack = new FakeSlackWebApi(PEOPLE);
const logs: string[] = [];
const stores: Store[] = [];
const bots: Jitbot[] = [];
let drivers: SlackDriver[] = [];

beforeAll(async () => {
  const apiUrl = await slack.listen();
  const location = engine.location();
  const replicas = engine.name === "postgres" ? ["replica-a", "replica-b"] : ["replica-a"];
  for (const replicaId of replicas) {
    const store = await Store.open(location);
    stores.push(store);
    const bot = createJitbot({
      policy: examplePolicy(),
      store,
      providers: dryRunProviders(),
      logger: createLogger("debug", { write: (line: string) => void logs.push(line) }),
      clock: new ManualClock(new Date()),
      replicaId,
      slack: { botToken: slack.token, signingSecret: SIGNING_SECRET, apiUrl, retries: 0 },
      port: 0,
      host: "127.0.0.1",
      cron: false,
    });
    await bot.start();
    bots.push(bot);
  }
  drivers = bots.map((bot) => new SlackDriver(bot.url, SIGNING_SECRET, slack));
});
afterAll(async () => {
  for (const bot of bots) await bot.stop(1_000);
  for (const store of stores) await store.close();
  await slack.close();
});

const homeOpened = (userId: string, eventId: string) =>
  JSON.stringify({
    type: "event_callback",
    team_id: "T0PLAY",
    api_app_id: "A0JITBOT",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: "app_home_opened", user: userId, channel: `D${userId}`, tab: "home", event_ts: "1.1" },
  });

const publishesFor = (userId: string) => slack.callsOf("views.publish").filter((c) => c.user_id === userId).length;
const dropped = (delivery: string) =>
  logs.some((line) => line.includes(`"delivery":"${delivery}"`) && line.includes("already handled"));
const driver = (n: number) => drivers[n % drivers.length] as SlackDriver;

describe(`an Events API retry on ${engine.name} (${engine.name === "postgres" ? "two replicas" : "one replica"})`, () => {
  it("is acknowledged everywhere and handled once", async () => {
    const body = homeOpened("U0ALICE", "Ev0RETRY0001");
    const first = await driver(0).post(body, "application/json");
    await waitFor(() => publishesFor("U0ALICE") === 1, "the home published");
    // Slack's retry: the same body (same event_id), re-signed, with the retry headers.
    const retry = await driver(1).post(body, "application/json", {
      ...signedHeaders(SIGNING_SECRET, body),
      "x-slack-retry-num": "1",
      "x-slack-retry-reason": "http_timeout",
    });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await waitFor(() => dropped("event:Ev0RETRY0001"), "the retry dropped");
    expect(publishesFor("U0ALICE")).toBe(1);
  });

  it("is still handled when the store cannot record it (at least once), with a warning", async () => {
    await stores[0]?.kysely.schema.dropTable("slack_deliveries").execute();
    await driver(0).post(homeOpened("U0OMAR", "Ev0NOSTORE01"), "application/json");
    await waitFor(() => publishesFor("U0OMAR") === 1, "the home published without the store's claim");
    expect(logs.some((line) => line.includes("Ev0NOSTORE01") && line.includes("handling it anyway"))).toBe(true);
  });
});
