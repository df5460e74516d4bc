import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pino from "pino";
import type { RuntimeSettings } from "../config/env.js";
import type { Policy } from "../config/schema.js";
import { createLogger } from "../logger.js";
import { Store } from "../store/index.js";
import { startPlayground } from "./server.js";

/**
 * `npm start` without Slack: the real bot against an in-memory Slack, until SIGINT/SIGTERM.
 * Messages and modals live in memory, so by default the database does too (a fresh temporary
 * file): a database that outlived them would point at approval messages that no longer exist.
 */
export async function runPlayground(
  env: NodeJS.ProcessEnv,
  settings: RuntimeSettings,
  policy: Policy,
  logger: pino.Logger,
): Promise<number> {
  // The URL is the point of this mode; info-level JSON lines would bury it unless asked for.
  const log = env.LOG_LEVEL?.trim() ? logger : createLogger("warn");
  const explicitDb = env.JITBOT_DB?.trim();
  const tmp = explicitDb ? undefined : mkdtempSync(join(tmpdir(), "jitbot-playground-"));
  const store = await Store.open(explicitDb ?? join(tmp ?? "", "playground.db"));
  const playground = await startPlayground({
    policy,
    store,
    logger: log,
    env,
    port: settings.port,
    host: env.JITBOT_PLAYGROUND_HOST?.trim() || "127.0.0.1",
    allowedHosts: (env.JITBOT_PLAYGROUND_ALLOWED_HOSTS ?? "").split(",").filter((h) => h.trim()),
  }).catch(async (error: unknown) => {
    await store.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    throw error;
  });
  const mode = playground.dryRun
    ? "dry run: nothing changes in Entra or AWS"
    : "dryRun: false with cloud credentials — approvals change Entra/AWS for real";
  process.stdout.write(
    [
      "",
      "jitbot is running in playground mode (SLACK_BOT_TOKEN is not set).",
      `  Open http://localhost:${playground.port}/playground`,
      `  Policy: ${settings.configPath} (${policy.profiles.length} profiles${policy.bundles.length ? `, ${policy.bundles.length} bundle(s)` : ""}), ${mode}.`,
      '  To connect a real workspace, see README.md, section "Connect it to Slack".',
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    const shutdown = () => {
      // A signal handler cannot wait; what stop or close throw is logged and the process still ends.
      void playground
        .stop()
        .finally(() => store.close())
        .catch((error: unknown) => log.error({ err: String(error) }, "the playground did not stop cleanly"))
        .finally(() => {
          if (tmp) rmSync(tmp, { recursive: true, force: true });
          resolve();
        });
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
  return 0;
}
