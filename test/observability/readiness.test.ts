import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createJitbot } from "../../src/compose.js";
import { ManualClock } from "../../src/domain/clock.js";
import { createLogger } from "../../src/logger.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { Store } from "../../src/store/index.js";
import { examplePolicy, PEOPLE, SIGNING_SECRET, startTestBot, waitFor } from "../support/bot.js";
import { tempDir } from "../support/temp.js";
import { ControlledProvider, registryWith, requestAndApprove, sample, scrape } from "./helpers.js";

const tmp = tempDir("jitbot-readyz-");
afterAll(() => tmp.cleanup());

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
};

/** Polls /readyz (real I/O, not time) until it gives `reason`; returns that answer. */
async function untilReason(url: string, reason: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const answer = await get(`${url}/readyz`);
    if (answer.body.reason === reason || Date.now() > deadline) return answer;
  }
}

describe("/readyz", () => {
  it("is 503 until the start-up sweep has revoked what expired while the bot was down, then 200", async () => {
    const dbFile = join(tmp.dir, "jitbot.db");
    const provider = new ControlledProvider("entra-group");
    const clock = new ManualClock(new Date());
    const first = await startTestBot({ location: dbFile, clock, providers: registryWith(provider) });
    const id = await requestAndApprove(first);
    await first.close();

    // Restarted three hours later: the 2h grant is overdue, and its revoke waits until released.
    let release = () => {};
    provider.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = await Store.open(dbFile);
    const slack = new FakeSlackWebApi(PEOPLE);
    const bot = createJitbot({
      policy: examplePolicy(),
      store,
      providers: registryWith(provider),
      logger: createLogger("silent"),
      clock: new ManualClock(new Date(clock.now().getTime() + 3 * 3600_000)),
      slack: { botToken: slack.token, signingSecret: SIGNING_SECRET, apiUrl: await slack.listen(), retries: 0 },
      port: 0,
      host: "127.0.0.1",
      cron: false,
    });
    try {
      const starting = bot.start();
      const url = await waitFor(() => bot.url, "the HTTP server");
      // Slack answers at once; the sweep is held, and /readyz says so.
      const sweeping = "the start-up sweep is still revoking what ended while jitbot was down";
      expect(await untilReason(url, sweeping)).toEqual({ status: 503, body: { status: "unready", reason: sweeping } });
      expect((await get(`${url}/healthz`)).status).toBe(200);
      expect(sample(await scrape(url), "jitbot_grants_active")).toBe(1);

      release();
      await starting;
      expect(await get(`${url}/readyz`)).toEqual({ status: 200, body: { status: "ready" } });
      expect((await store.requests.mustGet(id)).status).toBe("expired");
      const text = await scrape(url);
      expect(sample(text, "jitbot_grants_active")).toBe(0);
      expect(sample(text, "jitbot_revocation_lag_seconds_count")).toBe(1);
      // An hour overdue: the lag shows the downtime, which is what an alert should catch.
      expect(sample(text, "jitbot_revocation_lag_seconds_sum")).toBeCloseTo(3600, -1);

      // SIGTERM: draining takes no new work, so the pod leaves the Service before it stops.
      await bot.engine.drain(0);
      expect((await get(`${url}/readyz`)).status).toBe(503);
    } finally {
      release();
      await bot.stop(1_000);
      await store.close();
      await slack.close();
    }
  });
});
