import type { Clock } from "./domain/clock.js";
import type { ProviderRegistry } from "./grants/registry.js";
import { Metrics, storeGauges } from "./metrics.js";
import type { OnCallLookup } from "./oncall/index.js";
import type { Logger } from "./service/ports.js";
import type { SlackLane } from "./slack/lanes.js";
import type { Store } from "./store/index.js";

/** One bot's /metrics, fed by the store, the Slack lanes and the on-call lookups. */
export function botMetrics(deps: {
  replicaId: string;
  store: Store;
  clock: Clock;
  logger: Logger;
  lanes: { clicks: SlackLane; reporting: SlackLane };
  providers: ProviderRegistry;
  onCall?: OnCallLookup;
}): Metrics {
  const { store, clock, logger, lanes, providers } = deps;
  const metrics = new Metrics({
    replica: deps.replicaId,
    storeGauges: () => storeGauges(store, clock, logger),
    deferred: () => ({ clicks: lanes.clicks.queued, reporting: lanes.reporting.queued }),
  });
  // A labelled counter has no series until its first inc(); start each provider's at 0 so that
  // rate() and "increase > 0" alerts work from the first scrape, not from the first failure.
  for (const type of providers.keys()) {
    metrics.revocationFailures.inc({ provider: type }, 0);
    for (const verified of ["true", "false"]) metrics.revocations.inc({ provider: type, verified }, 0);
  }
  deps.onCall?.observe((verdict) =>
    metrics.onCallLookups.inc({
      provider: verdict.provider,
      outcome: verdict.kind,
      reason: verdict.kind === "unavailable" ? verdict.failure.code : "",
    }),
  );
  return metrics;
}
