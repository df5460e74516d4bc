import { createJitbot, type Jitbot } from "../../src/compose.js";
import type { ManualClock } from "../../src/domain/clock.js";
import type { ProviderRegistry } from "../../src/grants/registry.js";
import { createLogger } from "../../src/logger.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { Store } from "../../src/store/index.js";
import { examplePolicy, PEOPLE, SIGNING_SECRET, waitFor } from "../support/bot.js";

/**
 * Starts the bot without waiting for its start-up to finish, so a test can watch `/readyz`
 * while the start-up catch-up is still revoking (startTestBot only returns once it is ready).
 */
export async function bootInBackground(options: { location: string; clock: ManualClock; providers: ProviderRegistry }) {
  const slack = new FakeSlackWebApi(PEOPLE);
  const apiUrl = await slack.listen();
  const store = await Store.open(options.location);
  const bot: Jitbot = createJitbot({
    policy: examplePolicy(),
    store,
    providers: options.providers,
    logger: createLogger("silent"),
    clock: options.clock,
    slack: { botToken: slack.token, signingSecret: SIGNING_SECRET, apiUrl, retries: 0 },
    port: 0,
    host: "127.0.0.1",
    cron: false,
  });
  const started = bot.start();
  await waitFor(() => bot.url !== "", "the bot to listen");
  return {
    bot,
    slack,
    store,
    started,
    readyz: async () => (await fetch(`${bot.url}/readyz`)).status,
    async close() {
      await started;
      await bot.stop(1_000);
      await store.close();
      await slack.close();
    },
  };
}
