import { createJitbot } from "./compose.js";
import { readEnv } from "./config/env.js";
import { ConfigError, loadPolicyFile } from "./config/load.js";
import type { Policy } from "./config/schema.js";
import { systemClock } from "./domain/clock.js";
import { createProviders } from "./grants/registry.js";
import { createLogger } from "./logger.js";
import { runPlayground } from "./playground/run.js";
import { StoreRefusal } from "./store/errors.js";
import { loosePermissions } from "./store/files.js";
import { Store } from "./store/index.js";

const SETUP_HINT = 'see README.md, section "Connect it to Slack"';

/** Composition root: config → store → providers → Slack app → scheduler. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const settings = readEnv(env);
  const logger = createLogger(settings.logLevel);
  let policy: Policy;
  try {
    policy = loadPolicyFile(settings.configPath);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`jitbot: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // No bot token at all: someone trying jitbot out, not a half-configured deployment.
  if (settings.missingSlack.includes("SLACK_BOT_TOKEN")) return runPlayground(env, settings, policy, logger);
  if (!settings.slack) {
    process.stderr.write(`jitbot: set ${settings.missingSlack.join(" and ")} to connect to Slack (${SETUP_HINT}).\n`);
    return 1;
  }
  if (settings.usingExamplePolicy)
    logger.warn({ file: settings.configPath }, "no ./jitbot.yaml: using the example policy");
  if (settings.auditKeyProblem) {
    process.stderr.write(`jitbot: ${settings.auditKeyProblem}\n`);
    return 2;
  }
  let store: Store;
  try {
    store = Store.open(settings.dbPath, { auditKey: settings.auditKey });
  } catch (error) {
    // Another process on the file, or an audit key that would break the chain: one sentence, no start.
    if (error instanceof StoreRefusal) {
      process.stderr.write(`jitbot: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  for (const loose of loosePermissions(settings.dbPath)) {
    logger.warn({ path: loose.path, mode: loose.mode }, `other local users can reach the database: ${loose.fix}`);
  }
  const providers = await createProviders({ env, policy, clock: systemClock, logger });
  const bot = createJitbot({
    policy,
    store,
    providers,
    logger,
    slack: settings.slack,
    port: settings.port,
  });
  await bot.start();
  logger.info({ profiles: policy.profiles.length, db: settings.dbPath, dryRun: policy.dryRun }, "jitbot is ready");
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "stopping: finishing in-flight grants and revocations");
      void bot.stop(20_000).finally(() => {
        store.close();
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`jitbot: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
