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

beforeAll(async () => {
  const apiUrl = await slack.listen();
  slack.socketMode = { appToken: "xapp-test-token", url: await socket.listen() };
  const connected = new Promise((resolve) => socket.once("connected", resolve));
  bot = createJitbot({
    policy: examplePolicy(),
    store,
    providers: dryRunProviders(),
    logger: createLogger("silent"),
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

  it("still serves health and readiness over HTTP", async () => {
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
  });
});
