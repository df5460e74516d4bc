import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What the store tells /metrics (Store.gauges). */
export interface StoreGauges {
  requestsByStatus: Record<string, number>;
  activeGrants: number;
}

/** Prometheus metrics for one bot instance (its own registry, so tests can run several). */
export class Metrics {
  readonly registry = new Registry();
  readonly revocationLag: Histogram;
  readonly revocationFailures: Counter;
  readonly revocations: Counter;
  readonly providerCalls: Histogram;
  readonly slackAck: Histogram;

  /**
   * `storeGauges` answers undefined once the store is closed (shutdown): no requests, no grants. A
   * store that cannot answer fails the scrape (a 500 with a logged reference) rather than report a
   * made-up 0 active grants; Prometheus then shows the target down, and /readyz says why.
   */
  constructor(
    storeGauges: () => Promise<StoreGauges | undefined>,
    deferred: () => Record<string, number> = () => ({}),
  ) {
    const registry = this.registry;
    // prom-client collects every metric of a scrape together: both store gauges share one read.
    let reading: Promise<StoreGauges | undefined> | undefined;
    const read = () => {
      reading ??= storeGauges().finally(() => {
        reading = undefined;
      });
      return reading;
    };
    collectDefaultMetrics({ register: registry, prefix: "jitbot_process_" });
    new Gauge({
      name: "jitbot_requests",
      help: "Requests by state",
      labelNames: ["state"],
      registers: [registry],
      async collect() {
        const gauges = await read();
        this.reset();
        for (const [state, n] of Object.entries(gauges?.requestsByStatus ?? {})) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "jitbot_grants_active",
      help: "Grants currently active (including overdue ones still being revoked)",
      registers: [registry],
      async collect() {
        this.set((await read())?.activeGrants ?? 0);
      },
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
  }
}
