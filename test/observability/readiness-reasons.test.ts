import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createJitbot, type Jitbot } from "../../src/compose.js";
import { ManualClock } from "../../src/domain/clock.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { Store } from "../../src/store/index.js";
import { FakeSocketModeServer } from "../fakes/socket-mode-server.js";
import { examplePolicy, PEOPLE, SIGNING_SECRET, startTestBot, waitFor } from "../support/bot.js";
import { readOnlyFiles } from "../support/read-only.js";
import { SlackDriver } from "../support/slack-driver.js";
import { tempDir } from "../support/temp.js";

const tmp = tempDir("jitbot-readyz-reasons-");
afterAll(() => tmp.cleanup());
// Registered after the folder's clean-up, so it runs first (hooks unwind as a stack): the files are
// writable again when the folder is removed.
const readOnly = readOnlyFiles();

type Ready = { status: number; body: { status: string; reason?: string } };

async function readyz(url: string): Promise<Ready> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Ready["body"] };
}

/** Polls /readyz (real I/O) until `accept` holds; the last answer otherwise, for the assertion to show. */
async function readyzUntil(url: string, accept: (r: Ready) => boolean): Promise<Ready> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const answer = await readyz(url);
    if (accept(answer) || Date.now() > deadline) return answer;
  }
}

/** A port nothing listens on (for now): the Slack API "down". */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

function boot(store: Store, apiUrl: string, extra: { appToken?: string; clock?: ManualClock } = {}) {
  const logs: string[] = [];
  const bot = createJitbot({
    policy: examplePolicy(),
    store,
    providers: dryRunProviders(),
    logger: createLogger("info", { write: (line: string) => void logs.push(line) }),
    clock: extra.clock ?? new ManualClock(new Date()),
    slack: { botToken: "xoxb-test-token", signingSecret: SIGNING_SECRET, appToken: extra.appToken, apiUrl, retries: 0 },
    port: 0,
    host: "127.0.0.1",
    cron: false,
  });
  // Start-up may never finish here (Slack down, a broken store): the test watches /readyz instead.
  const starting = bot.start().then(
    () => "started",
    (error: unknown) => `failed: ${String(error)}`,
  );
  return { bot, logs, starting };
}

async function stop(bot: Jitbot, store: Store) {
  await bot.stop(1_000);
  await store.close();
}

describe("/readyz when the Slack API is unreachable at start-up", () => {
  it.each([
    ["HTTP mode", undefined],
    ["Socket Mode", "xapp-test-token"],
  ])(
    "%s: 503 with the reason and one log line per attempt, retried with backoff until Slack answers",
    async (_mode, appToken) => {
      const port = await closedPort();
      const apiUrl = `http://127.0.0.1:${port}/api/`;
      const clock = new ManualClock(new Date());
      const store = await Store.open(":memory:");
      const { bot, logs, starting } = boot(store, apiUrl, { appToken, clock });
      const slack = new FakeSlackWebApi(PEOPLE);
      const socket = new FakeSocketModeServer();
      try {
        const url = await waitFor(() => bot.url, "the HTTP server");
        const reason = `Slack API unreachable at ${apiUrl}: ECONNREFUSED`;
        expect(await readyzUntil(url, (r) => r.body.reason === reason)).toEqual({
          status: 503,
          body: { status: "unready", reason },
        });
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        const lines = logs.filter((line) => line.includes("Slack API unreachable"));
        expect(lines).toHaveLength(1);
        expect(JSON.parse(lines[0] ?? "{}").msg).toBe(`${reason}; retrying in 1s`);
        expect(logs.join("\n")).not.toMatch(/"stack"|\n\s+at /);

        if (!appToken) {
          // A request from Slack meanwhile gets 503 (Slack shows an error, the modal keeps its input),
          // not an empty 200 from a Bolt that cannot authorize it.
          const driver = new SlackDriver(url, SIGNING_SECRET, slack);
          expect((await driver.command("U0ALICE", "help")).status).toBe(503);
        }

        // Slack comes back on that address; the next attempt, after the backoff, connects.
        await slack.listen(port);
        if (appToken) slack.socketMode = { appToken, url: await socket.listen() };
        await clock.advance(1_000);
        expect(await starting).toBe("started");
        expect(await readyz(url)).toEqual({ status: 200, body: { status: "ready" } });
        expect(logs.some((line) => line.includes(`connected to the Slack API at ${apiUrl}`))).toBe(true);
        expect(slack.callsOf("auth.test")).toHaveLength(1);
        if (appToken) expect(slack.callsOf("apps.connections.open")).toHaveLength(1);
        else {
          const driver = new SlackDriver(url, SIGNING_SECRET, slack);
          expect((await driver.command("U0ALICE", "help")).status).toBe(200);
        }
      } finally {
        await stop(bot, store);
        await slack.close();
        if (appToken) await socket.close();
      }
    },
  );
});

/** SQLite's failures: a file that can only be read, a corrupted page (store/health.test.ts has them all). */
describe("/readyz reflects the store's health", () => {
  it("is 503 with the reason when the database file can only be read", async () => {
    const dbFile = join(tmp.dir, "readonly.db");
    await (await startTestBot({ location: dbFile })).close();
    readOnly.make(dbFile);
    const store = await Store.open(dbFile);
    const slack = new FakeSlackWebApi(PEOPLE);
    const { bot, starting } = boot(store, await slack.listen());
    try {
      const url = await waitFor(() => bot.url, "the HTTP server");
      await starting;
      expect(await readyz(url)).toEqual({
        status: 503,
        body: {
          status: "unready",
          reason: "the database is unhealthy: the database file is read-only (SQLITE_READONLY)",
        },
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await stop(bot, store);
      await slack.close();
    }
  });

  it("is 503 with the reason when a page of the database file is corrupted", async () => {
    const dbFile = join(tmp.dir, "corrupt.db");
    const first = await startTestBot({ location: dbFile });
    const rows = Array.from({ length: 500 }, (_, i) => ({
      id: `JR-${i}`,
      profile_id: "aks-prod-sre",
      requester_id: "U0ALICE",
      requester_name: "Alice",
      duration_seconds: 3600,
      justification: "x".repeat(200),
      status: "denied",
      created_at: 1,
      updated_at: 1,
    }));
    await first.store.kysely.insertInto("requests").values(rows).execute();
    await first.close();

    const store = await Store.open(dbFile);
    const slack = new FakeSlackWebApi(PEOPLE);
    const { bot, starting } = boot(store, await slack.listen());
    try {
      const url = await waitFor(() => bot.url, "the HTTP server");
      await starting;
      expect((await readyz(url)).status).toBe(200);
      // Garbage over every page but the first (the header and schema), as a failing disk would
      // leave it under a running bot; the integrity check (every 15 min) is run now.
      const size = statSync(dbFile).size;
      const fd = openSync(dbFile, "r+");
      writeSync(fd, Buffer.alloc(size - 4096, 0xab), 0, size - 4096, 4096);
      closeSync(fd);
      await store.checkIntegrity();
      const answer = await readyzUntil(url, (r) => r.body.reason?.includes("corrupt") === true);
      expect(answer.status).toBe(503);
      expect(answer.body.reason).toMatch(/^the database is unhealthy: the database file is corrupt/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await stop(bot, store);
      await slack.close();
    }
  });
});
