import type { Policy } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { findProfile } from "../domain/policy.js";
import type { AccessRequest, EarlyEnd, GrantRecord } from "../domain/request.js";
import type { Metrics } from "../metrics.js";
import type { Logger, Notifier } from "../service/ports.js";
import type { Store } from "../store/index.js";
import { BackgroundWork } from "./background.js";
import { type ExtendResult, GrantExtender } from "./extender.js";
import { Granter } from "./granter.js";
import { canRefresh } from "./provider.js";
import { activeGrantOf, ProviderCalls } from "./provider-calls.js";
import { type ProviderRegistry, providerFor } from "./registry.js";
import { Revoker } from "./revoker.js";

export interface EngineDeps {
  store: Store;
  providers: ProviderRegistry;
  policy: Policy;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  /** Revocations in flight at once (per sweep). */
  concurrency?: number;
  /** Called whenever the earliest due revocation may have changed (the expiry timer re-arms). */
  onScheduleChanged?: () => void;
  metrics?: Metrics;
  /** Owner of the leases this process takes on grants (in flight, being revoked); see LEASE_MS. */
  replicaId?: string;
  /** Test seam: simulates a crash right after the provider call, before the store write. */
  crashAfterProviderCall?: (verb: "grant" | "revoke", requestId: string) => void;
}

/** Applies approved requests through providers and takes access away again, durably. */
export class GrantEngine {
  private readonly work: BackgroundWork;
  private readonly calls: ProviderCalls;
  private readonly revoker: Revoker;
  private readonly granter: Granter;
  private readonly extender: GrantExtender;

  constructor(private readonly deps: EngineDeps) {
    this.work = new BackgroundWork(deps.logger);
    this.calls = new ProviderCalls(deps.clock, deps.logger, deps.metrics);
    this.revoker = new Revoker(deps, this.calls, this.work);
    this.granter = new Granter(deps, this.calls, this.revoker);
    this.extender = new GrantExtender(deps, this.calls);
  }

  get isAccepting(): boolean {
    return this.work.accepting;
  }

  /**
   * Runs an approved request's grant in the background (after Slack's ack). While draining it is
   * left `approved`: start-up reconcile grants it, so a restart loses nothing and starts nothing.
   */
  grantInBackground(request: AccessRequest): void {
    if (!this.work.accepting) {
      this.deps.logger.info({ requestId: request.id }, "draining: the grant is left for start-up reconcile");
      return;
    }
    this.work.track(this.grant(request));
  }

  grant(request: AccessRequest): Promise<void> {
    return this.granter.grant(request);
  }

  /**
   * Revokes every grant that is due now; returns how many ended. Tracked, so drain() and idle()
   * wait for it; while draining no further revocation starts (the next start-up sweep does them).
   */
  sweep(): Promise<number> {
    return this.work.during(this.revoker.sweep());
  }

  /** `/jit revoke` and `/jit cancel` after approval: see Revoker.endEarly. */
  endEarly(requestId: string, actor: string): Promise<EarlyEnd | undefined> {
    return this.work.during(this.revoker.endEarly(requestId, actor));
  }

  /** An approved extension of `rootId`: see GrantExtender. */
  extend(rootId: string, addSeconds: number, actor: string, byRequestId: string): Promise<ExtendResult> {
    return this.work.during(this.extender.extend(rootId, addSeconds, actor, byRequestId));
  }

  /** Issues fresh credentials for an active grant (STS sessions shorter than the grant). */
  async refresh(requestId: string): Promise<void> {
    const { store, clock, notifier } = this.deps;
    const grant = await store.grants.get(requestId);
    const request = await store.requests.mustGet(requestId);
    const profile = findProfile(this.deps.policy, request.profileId);
    const provider = profile && providerFor(this.deps.providers, profile);
    if (grant?.status !== "active" || !profile || !provider || !canRefresh(provider)) return;
    const outcome = await provider.refresh(activeGrantOf(grant, request, profile), clock.now());
    await store.grants.setState(requestId, outcome.state, outcome.providerExpiresAt);
    await store.audit({
      at: clock.now(),
      actor: request.requesterId,
      action: "grant.credentials_refreshed",
      requestId,
    });
    const updated = (await store.grants.get(requestId)) as GrantRecord;
    const dm = await notifier.credentialsRefreshed(request, profile, updated, outcome.instructions);
    if (dm)
      await store.grants.recordDm(
        requestId,
        dm.channel,
        dm.ts,
        outcome.instructions.sections.some((s) => s.secret),
      );
  }

  /** At start-up, and every minute for what a stopped replica left behind: see Granter.reconcile. */
  reconcile(when: "startup" | "periodic" = "startup"): Promise<void> {
    return this.granter.reconcile(when);
  }

  /** Tells the expiry timer that the earliest due revocation may have moved. */
  scheduleChanged(): void {
    this.deps.onScheduleChanged?.();
  }

  /** SIGTERM: take no new work, let what is running finish (bounded). */
  drain(timeoutMs: number): Promise<void> {
    return this.work.drain(timeoutMs);
  }

  /** Resolves once no background work is running (tests, shutdown). */
  idle(): Promise<void> {
    return this.work.idle();
  }

  track<T>(work: Promise<T>): void {
    this.work.track(work);
  }
}

export { SimulatedCrash } from "./revoker.js";
