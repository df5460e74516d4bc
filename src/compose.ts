import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver } from "@slack/bolt";
import type pino from "pino";
import type { Policy } from "./config/schema.js";
import { type Clock, systemClock } from "./domain/clock.js";
import { findProfile } from "./domain/policy.js";
import { GrantEngine } from "./grants/engine.js";
import { canRefresh } from "./grants/provider.js";
import type { ProviderRegistry } from "./grants/registry.js";
import { boltLogger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { AccessService } from "./service/access-service.js";
import { SlackDirectory } from "./slack/directory.js";
import { HomeTabs, refreshingHomes } from "./slack/home-tabs.js";
import { keepAliveFetch } from "./slack/http-fetch.js";
import { SlackLane } from "./slack/lanes.js";
import { registerListeners } from "./slack/listeners/index.js";
import { SlackNotifier } from "./slack/notifier.js";
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
  port?: number;
  host?: string;
  /** Extra HTTP routes (the playground); return true when handled. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** node-cron jobs; off in tests that drive the sweep themselves. */
  cron?: boolean;
  engine?: Partial<Pick<ConstructorParameters<typeof GrantEngine>[0], "concurrency" | "crashAfterProviderCall">>;
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
  // Answers to Slack go first: the work clicks start after their ack, and messages and updates,
  // yield while requests keep arriving (SlackLane).
  const laneFailed = (err: unknown) =>
    logger.error({ err: err instanceof Error ? err.message : String(err) }, "work after an ack failed");
  const lanes = { clicks: new SlackLane({ onError: laneFailed }), reporting: new SlackLane() };
  const allLanes = Object.values(lanes);
  const metrics = new Metrics(
    () => (store.isOpen() ? store.db : undefined),
    () => ({ clicks: lanes.clicks.queued, reporting: lanes.reporting.queued }),
  );
  // A labelled counter has no series until its first inc(); start each provider's at 0 so that
  // rate() and "increase > 0" alerts work from the first scrape, not from the first failure.
  for (const type of providers.keys()) metrics.revocationFailures.inc({ provider: type }, 0);
  const retries = options.slack.retries ?? 2;
  const transport = keepAliveFetch({ lane: lanes.reporting });
  const clientOptions = {
    ...(options.slack.apiUrl ? { slackApiUrl: options.slack.apiUrl } : {}),
    fetch: transport.fetch,
    retryConfig: { retries, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
  };
  const receiver = options.slack.appToken
    ? undefined
    : new HTTPReceiver({
        signingSecret: options.slack.signingSecret,
        endpoints: "/slack/events",
        logger: boltLogger(logger),
      });
  const app = new App({
    token: options.slack.botToken,
    // Bolt's default conversation store is a middleware on every event that looks the channel up in
    // a Map and, on a miss (always: nothing here stores conversation state), rejects with a new
    // Error — a stack trace captured per request on the ack path. Nothing reads context.conversation.
    convoStore: false,
    logger: boltLogger(logger),
    clientOptions,
    ...(receiver
      ? { receiver }
      : {
          appToken: options.slack.appToken,
          socketMode: true,
          // Bolt does not hand the App's clientOptions to the Socket Mode client: without this,
          // apps.connections.open ignores SLACK_API_URL (GovSlack) and retries a hundred times.
          installerOptions: { clientOptions },
        }),
  });
  const refreshable = (profileId: string) => {
    const profile = findProfile(policy, profileId);
    const provider = profile && providers.get(profile.grant.type);
    return provider !== undefined && canRefresh(provider);
  };
  const homes = new HomeTabs(app.client, clock, logger);
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
    onScheduleChanged: () => scheduler?.rearm(),
    ...options.engine,
  });
  const directory = new SlackDirectory(app.client, clock);
  const service = new AccessService({ store, policy, clock, directory, notifier, engine, providers });
  scheduler = new Scheduler({ store, engine, policy, clock, notifier, providers, logger, cron: options.cron ?? true });
  homes.attach(service);
  const deps = { service, clock, logger, canRefresh: refreshable, homes, afterAck: lanes.clicks };
  registerListeners(app, deps);
  app.error(async (error) => {
    logger.error({ err: error.message, code: (error as { code?: string }).code }, "unhandled Slack listener error");
  });

  const server = createServer((req, res) => void route(req, res));
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/slack/events" && receiver) {
      const started = performance.now();
      for (const lane of allLanes) lane.requestArrived();
      res.once("finish", () => metrics.slackAck.observe((performance.now() - started) / 1000));
      res.once("close", () => {
        for (const lane of allLanes) lane.requestAnswered();
      });
      return receiver.requestListener(req, res);
    }
    if (req.method === "GET" && path === "/healthz") return send(res, 200, { status: "ok" });
    if (req.method === "GET" && path === "/readyz") {
      const ready = store.isOpen() && scheduler.startupSweepDone && engine.isAccepting;
      return send(res, ready ? 200 : 503, { status: ready ? "ready" : "starting" });
    }
    if (req.method === "GET" && path === "/metrics") {
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      return res.end(await metrics.registry.metrics());
    }
    if (options.routes && (await options.routes(req, res))) return;
    send(res, 404, { error: "not found" });
  };

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
      if (!receiver) await app.start();
      // Catch up before reporting ready: anything that ended while the bot was down is revoked now.
      await scheduler?.start();
      logger.info({ port, mode: receiver ? "http" : "socket" }, "jitbot is listening");
    },
    async stop(graceMs = 10_000) {
      scheduler?.stop();
      // Clicks acked before the stop still get their decision recorded before the store closes.
      await Promise.all([engine.drain(graceMs), lanes.clicks.settled(graceMs)]);
      if (!receiver) await app.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      transport.close();
    },
  };
  return bot;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
