import type { Policy, Profile } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { describeFailure } from "../domain/messages.js";
import { findProfile } from "../domain/policy.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { Metrics } from "../metrics.js";
import type { Logger, Notifier } from "../service/ports.js";
import type { Store } from "../store/index.js";
import { BackgroundWork } from "./background.js";
import type { GrantProvider } from "./provider.js";
import { canRefresh, ROLLBACK_STATE } from "./provider.js";
import { activeGrantOf, ProviderCalls, subjectOf } from "./provider-calls.js";
import type { ProviderRegistry } from "./registry.js";
import { Revoker, SimulatedCrash } from "./revoker.js";

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
  /** Test seam: simulates a crash right after the provider call, before the store write. */
  crashAfterProviderCall?: (verb: "grant" | "revoke", requestId: string) => void;
}

/** Applies approved requests through providers and takes access away again, durably. */
export class GrantEngine {
  private readonly work: BackgroundWork;
  private readonly calls: ProviderCalls;
  private readonly revoker: Revoker;

  constructor(private readonly deps: EngineDeps) {
    this.work = new BackgroundWork(deps.logger);
    this.calls = new ProviderCalls(deps.clock, deps.logger, deps.metrics);
    this.revoker = new Revoker(deps, this.calls, this.work);
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

  async grant(request: AccessRequest): Promise<void> {
    const { store, clock, notifier } = this.deps;
    const profile = findProfile(this.deps.policy, request.profileId);
    const provider = profile && this.deps.providers.get(profile.grant.type);
    const startedAt = clock.now();
    const expiresAt = new Date(startedAt.getTime() + request.durationSeconds * 1000);
    if (!profile || !provider) {
      store.grants.start({
        requestId: request.id,
        provider: profile?.grant.type ?? "unknown",
        at: startedAt,
        expiresAt,
      });
      const reason = profile
        ? `No provider is configured for grant type ${profile.grant.type}.`
        : `Profile ${request.profileId} is no longer in the policy.`;
      store.grants.fail({ requestId: request.id, at: startedAt, reason });
      if (profile)
        await notifier.grantFailed(store.requests.mustGet(request.id), profile, reason, { rolledBack: true });
      return;
    }
    store.grants.start({ requestId: request.id, provider: provider.type, at: startedAt, expiresAt });
    const subject = subjectOf(request);
    try {
      const outcome = await this.calls.timed(provider.type, "grant", () =>
        provider.grant({
          requestId: request.id,
          profile,
          subject,
          durationSeconds: request.durationSeconds,
          startsAt: startedAt,
          expiresAt,
          justification: request.justification,
          ticket: request.ticket,
        }),
      );
      this.deps.crashAfterProviderCall?.("grant", request.id);
      this.deps.logger.info(
        { requestId: request.id, profile: profile.id, provider: provider.type, expiresAt: expiresAt.toISOString() },
        "access granted",
      );
      store.grants.activate({
        requestId: request.id,
        state: outcome.state,
        at: clock.now(),
        expiresAt,
        providerExpiresAt: outcome.providerExpiresAt,
      });
      this.deps.onScheduleChanged?.();
      const grant = store.grants.get(request.id) as GrantRecord;
      const active = store.requests.mustGet(request.id);
      const dm = await notifier.grantActivated(active, profile, grant, outcome.instructions);
      const hasSecret = outcome.instructions.sections.some((s) => s.secret);
      if (dm) store.grants.recordDm(request.id, dm.channel, dm.ts, hasSecret);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      const reason = this.calls.explain(error, { requestId: request.id, verb: "grant" });
      if (await this.rollBack(provider, request, profile, expiresAt)) {
        store.grants.fail({ requestId: request.id, at: clock.now(), reason });
        await notifier.grantFailed(store.requests.mustGet(request.id), profile, reason, { rolledBack: true });
      } else {
        this.keepRollingBack(request.id);
        await notifier.grantFailed(store.requests.mustGet(request.id), profile, reason, { rolledBack: false });
      }
    }
  }

  /**
   * The provider may have applied part of a grant and did not confirm the roll-back: keep it as a
   * grant due now, so the sweep retries (backoff, hourly channel alert) until the provider confirms.
   */
  private keepRollingBack(requestId: string): void {
    const now = this.deps.clock.now();
    this.deps.store.grants.activate({ requestId, state: ROLLBACK_STATE, at: now, expiresAt: now });
    this.deps.store.grants.requestEarlyEnd(requestId, now, "jitbot");
    this.deps.onScheduleChanged?.();
  }

  /** Undo whatever a failed or interrupted grant may have applied; true once the provider confirmed. */
  private async rollBack(
    provider: GrantProvider,
    request: AccessRequest,
    profile: Profile,
    expiresAt: Date,
  ): Promise<boolean> {
    try {
      await provider.revoke({
        requestId: request.id,
        profile,
        subject: subjectOf(request),
        expiresAt,
        state: ROLLBACK_STATE,
      });
      return true;
    } catch (error) {
      this.deps.logger.warn(
        { requestId: request.id, err: describeFailure(error, "-") },
        "roll-back after a failed grant failed",
      );
      return false;
    }
  }

  /**
   * Revokes every grant that is due now; returns how many ended. Tracked, so drain() and idle()
   * wait for it; while draining no further revocation starts (the next start-up sweep does them).
   */
  sweep(): Promise<number> {
    return this.work.during(this.revoker.sweep());
  }

  /** `/jit revoke`: marks the grant due now and revokes it. */
  revokeEarly(requestId: string, actor: string): Promise<boolean> {
    return this.work.during(this.revoker.revokeNow(requestId, actor));
  }

  /** Issues fresh credentials for an active grant (STS sessions shorter than the grant). */
  async refresh(requestId: string): Promise<void> {
    const { store, clock, notifier } = this.deps;
    const grant = store.grants.get(requestId);
    const request = store.requests.mustGet(requestId);
    const profile = findProfile(this.deps.policy, request.profileId);
    const provider = profile && this.deps.providers.get(profile.grant.type);
    if (grant?.status !== "active" || !profile || !provider || !canRefresh(provider)) return;
    const outcome = await provider.refresh(activeGrantOf(grant, request, profile), clock.now());
    store.grants.setState(requestId, outcome.state, outcome.providerExpiresAt);
    store.audit({ at: clock.now(), actor: request.requesterId, action: "grant.credentials_refreshed", requestId });
    const updated = store.grants.get(requestId) as GrantRecord;
    const dm = await notifier.credentialsRefreshed(request, profile, updated, outcome.instructions);
    if (dm)
      store.grants.recordDm(
        requestId,
        dm.channel,
        dm.ts,
        outcome.instructions.sections.some((s) => s.secret),
      );
  }

  /**
   * Start-up: a grant whose provider call was interrupted by a crash is rolled back (security over
   * convenience) and the requester is told to ask again; an approval that never reached the engine
   * is granted now.
   */
  async reconcile(): Promise<void> {
    const { store, clock, notifier } = this.deps;
    for (const grant of store.grants.inFlight()) {
      const request = store.requests.mustGet(grant.requestId);
      const profile = findProfile(this.deps.policy, request.profileId);
      const provider = profile && this.deps.providers.get(profile.grant.type);
      if (profile && provider && !(await this.rollBack(provider, request, profile, grant.expiresAt))) {
        this.keepRollingBack(grant.requestId);
        continue;
      }
      const reason = "jitbot restarted while granting this access, so it was rolled back. Please request it again.";
      store.grants.fail({ requestId: grant.requestId, at: clock.now(), reason });
      if (profile) {
        await notifier.grantFailed(store.requests.mustGet(grant.requestId), profile, reason, { rolledBack: true });
      }
    }
    for (const request of store.requests.listByStatus("approved")) {
      if (!store.grants.get(request.id)) await this.grant(request);
    }
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
