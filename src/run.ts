import type { Logger } from "pino";
import { createJitbot } from "./compose.js";
import { readEnv } from "./config/env.js";
import { ConfigError, loadPolicyFile } from "./config/load.js";
import type { Policy } from "./config/schema.js";
import { type Clock, systemClock } from "./domain/clock.js";
import { newCorrelationId } from "./domain/messages.js";
import { createProviders } from "./grants/registry.js";
import { createLogger } from "./logger.js";
import { createOnCallLookup, onCallConfigProblems } from "./oncall/env.js";
import { runPlayground } from "./playground/run.js";
import { readStepUpSettings } from "./stepup/settings.js";
import { StoreRefusal } from "./store/errors.js";
import { loosePermissions } from "./store/files.js";
import { Store } from "./store/index.js";
import { DatabaseAuthError, databasePassword } from "./store/pg-auth.js";

const SETUP_HINT = 'see README.md, section "Connect it to Slack"';

export interface RunOptions {
  /** Every replica of the multi-process tests shares a faster clock; production runs on the system's. */
  clock?: Clock;
}

/**
 * Composition root: config → store → providers → Slack app → scheduler. Resolves with the exit
 * code once the bot has stopped (SIGTERM, SIGINT, or a start-up it could not finish).
 */
export async function main(env: NodeJS.ProcessEnv = process.env, options: RunOptions = {}): Promise<number> {
  const clock = options.clock ?? systemClock;
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
  // A profile whose approvals can never count is refused now, not at the first Approve.
  const stepUp = readStepUpSettings(policy, env);
  if (stepUp.problems.length > 0) {
    process.stderr.write(stepUp.problems.map((problem) => `jitbot: ${problem}\n`).join(""));
    return 2;
  }
  const location = settings.databaseUrl ?? settings.dbPath;
  let store: Store;
  try {
    store = await Store.open(location, { auditKey: settings.auditKey, password: databasePassword(env) });
  } catch (error) {
    // Another process on the file, an audit key that would break the chain, a database out of
    // reach or a sign-in that cannot work: one sentence, no start.
    if (error instanceof StoreRefusal || error instanceof DatabaseAuthError) {
      process.stderr.write(`jitbot: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  for (const loose of settings.databaseUrl ? [] : loosePermissions(settings.dbPath)) {
    logger.warn({ path: loose.path, mode: loose.mode }, `other local users can reach the database: ${loose.fix}`);
  }
  const providers = await createProviders({
    env,
    policy,
    clock,
    logger,
    lock: (key, work) => store.exclusive(key, work),
  });
  // Safe to run with (every such request goes to approvers, saying why), but not what was meant.
  for (const problem of onCallConfigProblems(policy, env)) logger.warn({}, problem);
  const bot = createJitbot({
    policy,
    store,
    providers,
    logger,
    clock,
    replicaId: settings.replicaId,
    slack: settings.slack,
    port: settings.port,
    onCall: createOnCallLookup(env, clock, { logger }),
    stepUp: stepUp.settings,
  });
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    logger.info({ why }, "stopping: finishing in-flight grants and revocations");
    stopping ??= bot.stop(20_000).finally(() => store.close());
    return stopping;
  };
  const exitCode = await new Promise<number>((resolve) => {
    // A signal handler cannot wait: the stop settles the exit code whether it succeeds or fails.
    process.once(
      "SIGTERM",
      () =>
        void stop("SIGTERM").then(
          () => resolve(0),
          () => resolve(1),
        ),
    );
    // As for SIGTERM.
    process.once(
      "SIGINT",
      () =>
        void stop("SIGINT").then(
          () => resolve(0),
          () => resolve(1),
        ),
    );
    // Settles either way: a stop that fails (the store would not close) still ends the process.
    const fail = (why: string) =>
      void stop(why).then(
        () => resolve(1),
        () => resolve(1),
      );
    installSafetyNet(logger, () => fail("uncaught exception"));
    // Signals are heard while start-up still waits for Slack: a pod told to stop then stops.
    bot.start().then(
      () => {
        if (!stopping)
          logger.info(
            {
              profiles: policy.profiles.length,
              db: store.describe(),
              replica: settings.replicaId,
              dryRun: policy.dryRun,
            },
            "jitbot is ready",
          );
      },
      (error: unknown) => {
        process.stderr.write(`jitbot: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
        fail("start-up failed");
      },
    );
  });
  return exitCode;
}

/**
 * The last line of defence; no route should ever reach it. A rejection nobody handled has already
 * unwound: the operation that failed is over, and the bot keeps serving. An uncaught exception
 * left a synchronous stack half-way (a lane that never releases, a timer never re-armed): that is
 * not a state to keep granting access from, so the bot finishes what is in flight and exits, and
 * the orchestrator restarts it; expiry is durable and the start-up sweep catches up.
 */
function installSafetyNet(logger: Logger, exit: () => void): void {
  const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.on("unhandledRejection", (reason) => {
    logger.error(
      { correlationId: newCorrelationId(), err: describe(reason) },
      "unhandled rejection; jitbot keeps serving",
    );
  });
  process.on("uncaughtException", (error) => {
    logger.fatal({ correlationId: newCorrelationId(), err: describe(error) }, "uncaught exception; jitbot stops");
    exit();
  });
}
