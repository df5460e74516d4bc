import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "./domain/clock.js";
import type { Logger } from "./service/ports.js";
import type { Store } from "./store/index.js";

/** What the store tells /metrics (Store.gauges, and Store.replicas for the replicas seen). */
export interface StoreGauges {
  requestsByStatus: Record<string, number>;
  activeGrants: number;
  /** Replicas whose heartbeat is at most a minute old (Store.replicas). */
  replicasSeen: number;
}

export interface MetricSources {
  /** JITBOT_REPLICA_ID: a `replica` label on every series, so each replica's share shows. */
  replica: string;
  /**
   * One store read per scrape; undefined once the store is closed (shutdown). A store that cannot
   * answer leaves its gauges out of the scrape (never a made-up 0 active grants) and sets
   * `jitbot_store_up` to 0, while everything else is still served: during a database outage the
   * revocation failures are the metrics that matter most.
   */
  storeGauges: () => Promise<StoreGauges | undefined>;
  deferred?: () => Record<string, number>;
}

/** Prometheus metrics for one bot instance (its own registries, so tests can run several). */
export class Metrics {
  /** Every metric that does not need the database. */
  readonly registry = new Registry();
  /** The gauges read from the store, served only when the read succeeded. */
  private readonly storeRegistry = new Registry();
  private readonly storeUp: Gauge;
  private readonly requests: Gauge;
  private readonly grantsActive: Gauge;
  private readonly replicasSeen: Gauge;
  private reading: Promise<StoreGauges | undefined> | undefined;
  readonly revocationLag: Histogram;
  readonly revocationFailures: Counter;
  readonly revocations: Counter;
  readonly providerCalls: Histogram;
  readonly slackAck: Histogram;
  readonly onCallLookups: Counter;

  constructor(private readonly sources: MetricSources) {
    const registry = this.registry;
    const deferred: () => Record<string, number> = sources.deferred ?? (() => ({}));
    for (const r of [registry, this.storeRegistry]) r.setDefaultLabels({ replica: sources.replica });
    collectDefaultMetrics({ register: registry, prefix: "jitbot_process_" });
    this.storeUp = new Gauge({
      name: "jitbot_store_up",
      help: "1 when this scrape's read of the database succeeded; 0 and the store gauges left out when it failed",
      registers: [registry],
    });
    const storeOnly = [this.storeRegistry];
    this.requests = new Gauge({
      name: "jitbot_requests",
      help: "Requests by state",
      labelNames: ["state"],
      registers: storeOnly,
    });
    this.grantsActive = new Gauge({
      name: "jitbot_grants_active",
      help: "Grants currently active (including overdue ones still being revoked)",
      registers: storeOnly,
    });
    this.replicasSeen = new Gauge({
      name: "jitbot_replicas_seen",
      help: "Replicas sharing this database whose heartbeat is at most a minute old",
      registers: storeOnly,
    });
    new Gauge({
      name: "jitbot_slack_deferred",
      help: "Work waiting while the bot answers Slack requests first, by lane (clicks, reporting)",
      labelNames: ["lane"],
      registers: [registry],
      collect() {
        for (const [lane, queued] of Object.entries(deferred())) this.set({ lane }, queued);
      },
    });
    this.revocationLag = new Histogram({
      name: "jitbot_revocation_lag_seconds",
      help: "Time from a grant's expires_at to its confirmed revocation",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60, 300, 3600],
      registers: [registry],
    });
    this.revocationFailures = new Counter({
      name: "jitbot_revocation_failures_total",
      help: "Revocation attempts that failed (retried with backoff)",
      labelNames: ["provider"],
      registers: [registry],
    });
    this.revocations = new Counter({
      name: "jitbot_revocations_total",
      help: "Revokes the provider reported done, by whether reading the access back showed it gone",
      labelNames: ["provider", "verified"],
      registers: [registry],
    });
    this.providerCalls = new Histogram({
      name: "jitbot_provider_call_duration_seconds",
      help: "Provider grant/revoke call latency",
      labelNames: ["provider", "verb", "outcome"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    });
    this.slackAck = new Histogram({
      name: "jitbot_slack_ack_duration_seconds",
      help: "Time to answer a request from Slack (Slack gives up after 3 s)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
      registers: [registry],
    });
    this.onCallLookups = new Counter({
      name: "jitbot_oncall_lookups_total",
      help: "On-call lookups for approval.autoApproveOnCall, by provider, outcome and failure code",
      labelNames: ["provider", "outcome", "reason"],
      registers: [registry],
    });
  }

  /**
   * The whole scrape in Prometheus text format. Concurrent scrapes share one store read. Never
   * fails because of the store (see MetricSources.storeGauges).
   */
  async scrape(): Promise<{ contentType: string; body: string }> {
    this.reading ??= this.sources.storeGauges().finally(() => {
      this.reading = undefined;
    });
    const gauges = await this.reading.catch(() => undefined);
    this.storeUp.set(gauges ? 1 : 0);
    if (gauges) {
      this.requests.reset();
      for (const [state, n] of Object.entries(gauges.requestsByStatus)) this.requests.set({ state }, n);
      this.grantsActive.set(gauges.activeGrants);
      this.replicasSeen.set(gauges.replicasSeen);
    }
    const base = await this.registry.metrics();
    const store = gauges ? await this.storeRegistry.metrics() : "";
    return { contentType: this.registry.contentType, body: `${base}${store}` };
  }

  /** Every metric name /metrics can show (docs and tests list them). */
  async names(): Promise<string[]> {
    const all = [...(await this.registry.getMetricsAsJSON()), ...(await this.storeRegistry.getMetricsAsJSON())];
    return all.map((metric) => metric.name);
  }
}

/** A replica counts as seen when it beat within this long (each beats far more often). */
const SEEN_WITHIN_MS = 60_000;

/**
 * The store's part of a scrape: two counts and one read of the replicas table. A failure is logged
 * here (the scrape itself goes on without these gauges); undefined once the store is closed.
 */
export async function storeGauges(
  store: Pick<Store, "isOpen" | "gauges" | "replicas">,
  clock: Clock,
  logger: Logger,
): Promise<StoreGauges | undefined> {
  if (!store.isOpen()) return undefined;
  try {
    const since = new Date(clock.now().getTime() - SEEN_WITHIN_MS);
    const [gauges, replicas] = await Promise.all([store.gauges(), store.replicas(since)]);
    return { ...gauges, replicasSeen: replicas.length };
  } catch (error) {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "/metrics could not read the database; its gauges are left out of this scrape",
    );
    throw error;
  }
}
