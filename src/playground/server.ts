import { randomBytes } from "node:crypto";
import type pino from "pino";
import { createJitbot, type Jitbot } from "../compose.js";
import type { Policy } from "../config/schema.js";
import { type Clock, systemClock } from "../domain/clock.js";
import { createProviders, dryRunProviders, type ProviderRegistry } from "../grants/registry.js";
import { readStepUpSettings } from "../stepup/settings.js";
import type { Store } from "../store/index.js";
import { PlaygroundApi } from "./api.js";
import { PlaygroundGuard } from "./guard.js";
import { playgroundOnCall } from "./on-call.js";
import { SlackRelay } from "./relay.js";
import { playgroundRoutes } from "./routes.js";
import { FakeSlackWebApi } from "./slack-web-api.js";
import { playgroundChannels, playgroundPeople, Workspace } from "./workspace.js";

export interface PlaygroundOptions {
  policy: Policy;
  store: Store;
  logger: pino.Logger;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  port?: number;
  host?: string;
  /** Further `name[:port]` the page may be reached by (JITBOT_PLAYGROUND_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  cron?: boolean;
}

export interface Playground {
  bot: Jitbot;
  slack: FakeSlackWebApi;
  workspace: Workspace;
  /** http://127.0.0.1:PORT/playground */
  url: string;
  /** The token the served page carries; every API call must send it. */
  token: string;
  port: number;
  dryRun: boolean;
  stop(): Promise<void>;
}

/** Variables that mean someone set up real Azure or AWS sign-in on purpose. */
const CLOUD_CREDENTIALS =
  /^(AZURE_CLIENT_ID|AZURE_TENANT_ID|AZURE_FEDERATED_TOKEN_FILE|AWS_ACCESS_KEY_ID|AWS_PROFILE|AWS_ROLE_ARN|AWS_WEB_IDENTITY_TOKEN_FILE)$/;

export function hasCloudCredentials(env: NodeJS.ProcessEnv): boolean {
  return Object.entries(env).some(([key, value]) => CLOUD_CREDENTIALS.test(key) && Boolean(value?.trim()));
}

/**
 * Playground personas are made up, so real grants would change real clouds for fake people: only
 * when the policy says `dryRun: false` *and* credentials are configured does the playground call
 * the clouds; anything less gets dry-run providers that describe the change instead.
 */
export async function choosePlaygroundProviders(
  policy: Policy,
  env: NodeJS.ProcessEnv,
  clock: Clock,
  logger: pino.Logger,
): Promise<{ providers: ProviderRegistry; dryRun: boolean }> {
  if (policy.dryRun || !hasCloudCredentials(env)) return { providers: dryRunProviders(), dryRun: true };
  logger.warn("playground with dryRun: false and cloud credentials: approvals change Entra/AWS for real");
  return { providers: await createProviders({ env, policy, clock, logger }), dryRun: false };
}

/**
 * The real bot, wired to an in-memory Slack: the fake Web API on a random local port, a random
 * signing secret that only the playground knows, and the page's routes on the bot's own server.
 */
export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const { policy, logger } = options;
  const clock = options.clock ?? systemClock;
  const slack = new FakeSlackWebApi(playgroundPeople(policy), `xoxb-playground-${randomBytes(12).toString("hex")}`);
  const apiUrl = await slack.listen(0);
  const chosen = await choosePlaygroundProviders(policy, options.env ?? process.env, clock, logger);
  const signingSecret = randomBytes(32).toString("hex");
  const workspace = new Workspace(slack, playgroundPeople(policy), playgroundChannels(policy));
  let bot: Jitbot | undefined;
  const relay = new SlackRelay(signingSecret, () => bot?.url ?? "");
  // Anyone who reaches the page can act as any approver: local only unless asked otherwise.
  const host = options.host ?? "127.0.0.1";
  const guard = new PlaygroundGuard({
    port: () => Number(bot?.url ? new URL(bot.url).port : options.port),
    boundHost: host,
    extraHosts: options.allowedHosts ?? [],
  });
  const routes = playgroundRoutes(new PlaygroundApi(workspace, relay), workspace, guard);
  bot = createJitbot({
    policy,
    store: options.store,
    providers: chosen.providers,
    logger,
    clock,
    slack: { botToken: slack.token, signingSecret, apiUrl, retries: 0 },
    port: options.port ?? 3000,
    host,
    routes: (req, res) => routes.handle(req, res),
    cron: options.cron ?? true,
    onCall: playgroundOnCall(policy, options.env ?? process.env, clock),
    // Approver step-up works here too when JITBOT_PUBLIC_URL and an Entra app are set (a real
    // sign-in); without them an Approve on such a profile says what is missing.
    stepUp: readStepUpSettings(policy, { ...(options.env ?? process.env), SLACK_SIGNING_SECRET: signingSecret })
      .settings,
  });
  try {
    await bot.start();
  } catch (error) {
    await slack.close();
    throw error;
  }
  const port = Number(new URL(bot.url).port);
  const started = bot;
  return {
    bot: started,
    slack,
    workspace,
    url: `${started.url}/playground`,
    token: guard.token,
    port,
    dryRun: chosen.dryRun,
    async stop() {
      routes.closeStreams();
      await started.stop(5_000);
      await slack.close();
    },
  };
}
