import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { App } from "@slack/bolt";
import type pino from "pino";
import type { Policy } from "./config/schema.js";
import { type Clock, systemClock } from "./domain/clock.js";
import { findProfile } from "./domain/policy.js";
import { GrantEngine } from "./grants/engine.js";
import { canRefresh } from "./grants/provider.js";
import { type ProviderRegistry, providerFor } from "./grants/registry.js";
import { boltLogger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { botMetrics } from "./metrics-wiring.js";
import type { OnCallLookup } from "./oncall/index.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { AccessService } from "./service/access-service.js";
import { SlackConnection } from "./slack/connection.js";
import { SlackDirectory } from "./slack/directory.js";
import { HomeTabs, refreshingHomes } from "./slack/home-tabs.js";
import { keepAliveFetch, slackClientOptions } from "./slack/http-fetch.js";
import { createHttpSurface, type Readiness } from "./slack/http-surface.js";
import { SlackLane } from "./slack/lanes.js";
import { registerListeners } from "./slack/listeners/index.js";
import { SlackNotifier } from "./slack/notifier.js";
import { SlackOnCallNotifier } from "./slack/on-call-notifier.js";
import { socketModeReceiver } from "./slack/socket-receiver.js";
import { stepUpRoutes } from "./stepup/routes.js";
import { StepUpService } from "./stepup/service.js";
import type { StepUpSettings } from "./stepup/settings.js";
import type { Store } from "./store/index.js";

export interface SlackSettings {
  botToken: string;
  signingSecret: string;
  appToken?: string;
  apiUrl?: string;
  /** Web API retries; Slack's default retries for ~30 min, far too long for a bot that must answer. */
  retries?: number;
}

export interface JitbotOptions {
  policy: Policy;
  store: Store;
  providers: ProviderRegistry;
  slack: SlackSettings;
  logger: pino.Logger;
  clock?: Clock;
  /** This process among the replicas sharing a database (JITBOT_REPLICA_ID); see src/config/env.ts. */
  replicaId?: string;
  port?: number;
  host?: string;
  /** Extra HTTP routes (the playground); return true when handled. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** node-cron jobs; off in tests that drive the sweep themselves. */
  cron?: boolean;
  engine?: Partial<Pick<ConstructorParameters<typeof GrantEngine>[0], "concurrency" | "crashAfterProviderCall">>;
  /** PagerDuty/Opsgenie on-call lookups for approval.autoApproveOnCall (src/oncall/env.ts). */
  onCall?: OnCallLookup;
  /** Approver step-up's sign-in (src/stepup/settings.ts); needed when a profile has approval.stepUp. */
  stepUp?: StepUpSettings;
}

export interface Jitbot {
  app: App;
  service: AccessService;
  engine: GrantEngine;
  scheduler: Scheduler;
  metrics: Metrics;
  server: Server;
  /** http://127.0.0.1:PORT once started. */
  url: string;
  start(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

/** Wires config → store → providers → Slack app → scheduler. Nothing starts until `start()`. */
export function createJitbot(options: JitbotOptions): Jitbot {
  const { policy, store, providers, logger } = options;
  const clock = options.clock ?? systemClock;
  const replicaId = options.replicaId ?? "jitbot";
  // Answers to Slack go first: the work clicks start after their ack, and messages and updates,
  // yield while requests keep arriving (SlackLane).
  const laneFailed = (err: unknown) =>
    logger.error({ err: err instanceof Error ? err.message : String(err) }, "work after an ack failed");
  const lanes = { clicks: new SlackLane({ onError: laneFailed }), reporting: new SlackLane() };
  const allLanes = Object.values(lanes);
  const metrics = botMetrics({ replicaId, store, clock, logger, lanes, providers, onCall: options.onCall });
  const retries = options.slack.retries ?? 2;
  const transport = keepAliveFetch({ lane: lanes.reporting });
  const clientOptions = slackClientOptions({ apiUrl: options.slack.apiUrl, retries, fetch: transport.fetch });
  const socketMode = options.slack.appToken !== undefined;
  let slack: SlackConnection | undefined;
  let stepUp: StepUpService | undefined;
  // The probes come first: a store that cannot write, a Slack API out of reach, a sweep still running.
  const readiness = (): Readiness => {
    if (!store.isOpen()) return { ok: false, reason: "the database is closed" };
    const health = store.health();
    if (!health.ok) return { ok: false, reason: `the database is unhealthy: ${health.reason}` };
    if (slack && !slack.status.ok) return slack.status;
    if (!scheduler?.startupSweepDone) {
      return { ok: false, reason: "the start-up sweep is still revoking what ended while jitbot was down" };
    }
    if (!engine.isAccepting) return { ok: false, reason: "jitbot is shutting down" };
    return { ok: true };
  };
  const surface = createHttpSurface({
    signingSecret: socketMode ? undefined : options.slack.signingSecret,
    logger,
    readiness,
    metricsText: () => metrics.scrape(),
    slackConnected: () => slack?.connected ?? false,
    onSlackRequest: (res, started) => {
      for (const lane of allLanes) lane.requestArrived();
      res.once("finish", () => metrics.slackAck.observe((performance.now() - started) / 1000));
      res.once("close", () => {
        for (const lane of allLanes) lane.requestAnswered();
      });
    },
    routes: options.routes,
    pages: stepUpRoutes(() => stepUp),
  });
  const app = new App({
    token: options.slack.botToken,
    // Bolt's default conversation store is a middleware on every event that looks the channel up in
    // a Map and, on a miss (always: nothing here stores conversation state), rejects with a new
    // Error — a stack trace captured per request on the ack path. Nothing reads context.conversation.
    convoStore: false,
    logger: boltLogger(logger),
    clientOptions,
    // auth.test runs in start(), retried until Slack answers: in the constructor its rejection
    // would be unhandled, and every later request would fail on the cached rejection.
    deferInitialization: true,
    ...(!socketMode
      ? { receiver: surface.receiver }
      : {
          socketMode: true,
          receiver: socketModeReceiver({
            appToken: options.slack.appToken ?? "",
            logger: boltLogger(logger),
            clientOptions,
          }),
        }),
  });
  const refreshable = (profileId: string) => {
    const profile = findProfile(policy, profileId);
    const provider = profile && providerFor(providers, profile);
    return provider !== undefined && canRefresh(provider);
  };
  const homes = new HomeTabs(app.client, clock, logger, store);
  const slackNotifier = new SlackNotifier(
    app.client,
    logger,
    (id) => store.requests.approvals(id),
    (p) => refreshable(p.id),
  );
  const notifier = refreshingHomes(slackNotifier, homes);
  let scheduler: Scheduler | undefined;
  const engine = new GrantEngine({
    store,
    providers,
    policy,
    clock,
    notifier,
    logger,
    metrics,
    replicaId,
    // Fire and forget: rearm() never rejects, and the latest re-read is the one that arms.
    onScheduleChanged: () => void scheduler?.rearm(),
    ...options.engine,
  });
  const directory = new SlackDirectory(app.client, clock);
  const onCall = options.onCall && {
    lookup: options.onCall,
    notifier: refreshingHomes(new SlackOnCallNotifier(app.client, logger), homes),
  };
  const service = new AccessService({ store, policy, clock, directory, notifier, engine, providers, onCall });
  stepUp = new StepUpService({ store, policy, service, directory, clock, logger, settings: options.stepUp });
  scheduler = new Scheduler({
    store,
    engine,
    policy,
    clock,
    notifier,
    providers,
    logger,
    replicaId,
    cron: options.cron ?? true,
  });
  homes.attach(service);
  const deps = {
    service,
    clock,
    logger,
    canRefresh: refreshable,
    homes,
    stepUp,
    afterAck: lanes.clicks,
    claimDelivery: (id: string) => store.claimDelivery(id, clock.now()),
  };
  registerListeners(app, deps);
  app.error(async (error) => {
    logger.error({ err: error.message, code: (error as { code?: string }).code }, "unhandled Slack listener error");
  });

  const server = createServer(surface.listener);
  slack = new SlackConnection({
    apiUrl: options.slack.apiUrl ?? "https://slack.com/api/",
    clock,
    logger,
    connect: async () => {
      await app.init();
      if (socketMode) await app.start();
    },
  });
  const connection = slack;

  const bot: Jitbot = {
    app,
    service,
    engine,
    scheduler,
    metrics,
    server,
    url: "",
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 3000, options.host ?? "0.0.0.0", resolve);
      });
      const { port } = server.address() as AddressInfo;
      bot.url = `http://127.0.0.1:${port}`;
      logger.info({ port, mode: socketMode ? "socket" : "http" }, "jitbot is listening");
      // Catch up before reporting ready: anything that ended while the bot was down is revoked now,
      // whether or not Slack can be reached (the revokes do not need it).
      await Promise.all([connection.open(), scheduler?.start()]);
    },
    async stop(graceMs = 10_000) {
      scheduler?.stop();
      connection.stop();
      // Clicks acked before the stop still get their decision recorded before the store closes.
      await Promise.all([engine.drain(graceMs), lanes.clicks.settled(graceMs)]);
      if (socketMode && connection.connected) await app.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      transport.close();
    },
  };
  return bot;
}
