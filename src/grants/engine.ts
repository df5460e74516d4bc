import type { Policy, Profile } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { describeFailure } from "../domain/messages.js";
import { findProfile } from "../domain/policy.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { Metrics } from "../metrics.js";
import type { Logger, Notifier } from "../service/ports.js";
import type { DueCursor } from "../store/grants.js";
import type { Store } from "../store/index.js";
import { BackgroundWork } from "./background.js";
import { backoffMs, forEachLimited } from "./concurrency.js";
import { isProviderError } from "./errors.js";
import type { GrantProvider } from "./provider.js";
import { canRefresh, ROLLBACK_STATE } from "./provider.js";
import { activeGrantOf, ProviderCalls, subjectOf } from "./provider-calls.js";
import type { ProviderRegistry } from "./registry.js";

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

const ALERT_EVERY_MS = 3_600_000;
/** Due grants read per query: the partial index keeps each page O(log n + page). */
const SWEEP_PAGE = 500;

/** Applies approved requests through providers and takes access away again, durably. */
export class GrantEngine {
  private readonly inFlight = new Set<string>();
  private readonly work: BackgroundWork;
  private readonly calls: ProviderCalls;

  constructor(private readonly deps: EngineDeps) {
    this.work = new BackgroundWork(deps.logger);
    this.calls = new ProviderCalls(deps.clock, deps.logger, deps.metrics);
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
    return this.work.during(this.sweepDue());
  }

  private async sweepDue(): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    let ended = 0;
    let after: DueCursor | undefined;
    do {
      const page = store.grants.duePage(now, SWEEP_PAGE, after);
      after = page.next;
      await forEachLimited(page.grants, this.deps.concurrency ?? 16, async (grant) => {
        if (this.work.accepting && (await this.revokeSafely(grant))) ended++;
      });
    } while (after && this.work.accepting);
    this.deps.onScheduleChanged?.();
    return ended;
  }

  /**
   * A bug or a database error while revoking one grant must not stop the others; the grant is
   * pushed back with backoff so neither this sweep nor the timer spins on it.
   */
  private async revokeSafely(grant: GrantRecord): Promise<boolean> {
    try {
      return await this.revokeOne(grant);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      const message = this.calls.explain(error, { requestId: grant.requestId, verb: "revoke" });
      const nextAttemptAt = new Date(this.deps.clock.now().getTime() + backoffMs(grant.revokeAttempts));
      try {
        this.deps.store.grants.revokeFailed({ requestId: grant.requestId, error: message, nextAttemptAt });
      } catch (storeError) {
        this.deps.logger.error(
          { requestId: grant.requestId, err: String(storeError) },
          "could not record a failed revoke",
        );
      }
      return false;
    }
  }

  /** `/jit revoke`: marks the grant due now and revokes it. */
  revokeEarly(requestId: string, actor: string): Promise<boolean> {
    return this.work.during(this.revokeNow(requestId, actor));
  }

  private async revokeNow(requestId: string, actor: string): Promise<boolean> {
    const { store, clock } = this.deps;
    if (!store.grants.requestEarlyEnd(requestId, clock.now(), actor)) return false;
    const grant = store.grants.get(requestId);
    if (grant) await this.revokeOne(grant);
    this.deps.onScheduleChanged?.();
    return true;
  }

  private async revokeOne(grant: GrantRecord): Promise<boolean> {
    if (this.inFlight.has(grant.requestId)) return false;
    this.inFlight.add(grant.requestId);
    try {
      // A sweep page can be seconds old by now: another path may have ended it meanwhile.
      const current = this.deps.store.grants.get(grant.requestId);
      if (current?.status !== "active") return false;
      return await this.revokeWithProvider(current);
    } finally {
      this.inFlight.delete(grant.requestId);
    }
  }

  private async revokeWithProvider(grant: GrantRecord): Promise<boolean> {
    const { store, clock, notifier } = this.deps;
    const request = store.requests.mustGet(grant.requestId);
    const profile = findProfile(this.deps.policy, request.profileId);
    const provider = profile && this.deps.providers.get(profile.grant.type);
    const reason = grant.endReason ?? "expired";
    let detail: string;
    try {
      if (!profile || !provider)
        throw new Error(`profile ${request.profileId} or its provider is gone from the policy`);
      await this.calls.waitFor(provider.type);
      const outcome = await this.calls.timed(provider.type, "revoke", () =>
        provider.revoke(activeGrantOf(grant, request, profile)),
      );
      this.deps.crashAfterProviderCall?.("revoke", grant.requestId);
      detail = outcome.detail;
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      const now = clock.now();
      if (grant.providerExpiresAt && grant.providerExpiresAt <= now) {
        detail = `ended by the provider's own expiry at ${grant.providerExpiresAt.toISOString()}`;
      } else {
        const message = this.calls.explain(error, { requestId: grant.requestId, verb: "revoke" });
        const retryAfter = isProviderError(error) ? error.retryAfterMs : undefined;
        if (retryAfter !== undefined && provider) this.calls.pause(provider.type, now.getTime() + retryAfter);
        const delay = retryAfter ?? backoffMs(grant.revokeAttempts);
        this.deps.metrics?.revocationFailures.inc({ provider: provider?.type ?? "unknown" });
        store.grants.revokeFailed({
          requestId: grant.requestId,
          error: message,
          nextAttemptAt: new Date(now.getTime() + delay),
        });
        const quiet = grant.lastAlertAt && now.getTime() - grant.lastAlertAt.getTime() < ALERT_EVERY_MS;
        const throttledOnly = isProviderError(error) && error.code === "THROTTLED" && grant.revokeAttempts < 10;
        if (profile && !quiet && !throttledOnly) {
          store.grants.markAlerted(grant.requestId, now);
          this.work.track(notifier.revokeFailing(request, profile, grant, message));
        }
        return false;
      }
    }
    const endedAt = clock.now();
    const ended = store.grants.end({ requestId: grant.requestId, reason, at: endedAt, actor: "jitbot", detail });
    if (!ended) return false;
    this.deps.logger.info({ requestId: grant.requestId, reason, detail }, "access ended");
    // Lag is the promise "access ends on time": an early /jit revoke is not lateness.
    if (reason === "expired") {
      this.deps.metrics?.revocationLag.observe(Math.max(0, endedAt.getTime() - grant.expiresAt.getTime()) / 1000);
    }
    // The access is gone once the store says so; telling Slack must not hold one of the sweep's slots.
    if (profile) {
      const ended = store.requests.mustGet(grant.requestId);
      this.work.track(notifier.grantEnded(ended, profile, store.grants.get(grant.requestId) as GrantRecord, detail));
    }
    return true;
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

/** Thrown by the crash seam in tests: stops the engine exactly where a SIGKILL would. */
export class SimulatedCrash extends Error {}
