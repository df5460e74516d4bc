import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJitbot, type Jitbot } from "../../src/compose.js";
import { ManualClock } from "../../src/domain/clock.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { Store } from "../../src/store/index.js";
import { FakeSocketModeServer } from "../fakes/socket-mode-server.js";
import { botDatabases, examplePolicy, PEOPLE, waitFor } from "../support/bot.js";

const slack = new FakeSlackWebApi(PEOPLE);
const socket = new FakeSocketModeServer();
let bot: Jitbot;
// On the run's test engine (SQLite, or a PostgreSQL schema in the postgres project).
const store = await Store.open(botDatabases().location());
const logs: string[] = [];
const dropped = (delivery: string) =>
  logs.some((line) => line.includes(`"delivery":"${delivery}"`) && line.includes("already handled"));

beforeAll(async () => {
  const apiUrl = await slack.listen();
  slack.socketMode = { appToken: "xapp-test-token", url: await socket.listen() };
  const connected = new Promise((resolve) => socket.once("connected", resolve));
  bot = createJitbot({
    policy: examplePolicy(),
    store,
    providers: dryRunProviders(),
    logger: createLogger("debug", { write: (line: string) => void logs.push(line) }),
    clock: new ManualClock(new Date()),
    slack: { botToken: slack.token, signingSecret: "", appToken: "xapp-test-token", apiUrl, retries: 0 },
    port: 0,
    host: "127.0.0.1",
    cron: false,
  });
  await bot.start();
  await connected;
});
afterAll(async () => {
  await bot.stop(1_000);
  await socket.close();
  await slack.close();
  await store.close();
});

const command = (userId: string, text: string) => ({
  token: "unused",
  team_id: "T0PLAY",
  channel_id: "C0GENERAL",
  user_id: userId,
  command: "/jit",
  text,
  api_app_id: "A0JITBOT",
  response_url: "http://127.0.0.1:9/unused",
  trigger_id: `${userId}.socket`,
});

describe("Socket Mode (SLACK_APP_TOKEN set)", () => {
  it("opens the connection through SLACK_API_URL with the app token", () => {
    expect(slack.callsOf("apps.connections.open")).toHaveLength(1);
  });

  it("answers /jit help in the envelope's ack", async () => {
    const ack = await socket.deliver("slash_commands", command("U0ALICE", "help"));
    expect(ack.response_type).toBe("ephemeral");
    expect(JSON.stringify(ack)).toContain("aks-prod-sre");
  });

  it("opens the request modal after acking", async () => {
    await socket.deliver("slash_commands", command("U0ALICE", "request aks-prod-sre 2h over a socket"));
    const opened = await waitFor(() => slack.callsOf("views.open").at(-1), "views.open");
    expect(JSON.stringify(opened.view)).toContain("over a socket");
  });

  it("acks a redelivered envelope again and handles it once", async () => {
    const before = slack.callsOf("views.open").length;
    const envelopeId = "env-redelivered-0001";
    const payload = command("U0LEAD", "request aks-prod-sre 1h redelivered envelope");
    const first = await socket.deliver("slash_commands", payload, { envelopeId });
    const again = await socket.deliver("slash_commands", payload, { envelopeId });
    expect([first, again]).toEqual([{}, {}]);
    await waitFor(() => dropped(`envelope:${envelopeId}`), "the redelivery dropped");
    await waitFor(() => slack.callsOf("views.open").length > before, "the modal");
    expect(slack.callsOf("views.open").length).toBe(before + 1);
  });

  it("handles an Events API retry in a new envelope once (same event_id)", async () => {
    const event = {
      type: "event_callback",
      team_id: "T0PLAY",
      api_app_id: "A0JITBOT",
      event_id: "Ev0SOCKETRETRY",
      event_time: Math.floor(Date.now() / 1000),
      event: { type: "app_home_opened", user: "U0EVE", channel: "DU0EVE", tab: "home", event_ts: "1.1" },
    };
    const publishes = () => slack.callsOf("views.publish").filter((call) => call.user_id === "U0EVE").length;
    await socket.deliver("events_api", event);
    await waitFor(() => publishes() === 1, "Eve's home");
    await socket.deliver("events_api", event, { retryAttempt: 1 });
    await waitFor(() => dropped("event:Ev0SOCKETRETRY"), "the retry dropped");
    expect(publishes()).toBe(1);
  });

  it("still serves health and readiness over HTTP", async () => {
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
  });
});
