import { missedConfirmation } from "../domain/break-glass.js";
import { findProfile } from "../domain/policy.js";
import type { EarlyEnd, GrantRecord } from "../domain/request.js";
import type { BackgroundWork } from "./background.js";
import { PartialRevokeError } from "./composite.js";
import { backoffMs, ReleasingPool } from "./concurrency.js";
import { tellEnd } from "./end-notice.js";
import type { EngineDeps } from "./engine.js";
import { isProviderError } from "./errors.js";
import { LEASE_MS, ownerOf } from "./lease.js";
import { activeGrantOf, type ProviderCalls } from "./provider-calls.js";
import { providerFor } from "./registry.js";
import { type Proof, proveRevoke } from "./revoke-proof.js";

const ALERT_EVERY_MS = 3_600_000;
/**
 * Revokes past their removal (reading back, then ending) per removal slot: enough for a throttled
 * read-back batch to fill one Graph call (~44) from one replica's 16 slots.
 */
const TAILS_PER_SLOT = 4;
/** Due grants read per query: the partial index keeps each page O(log n + page). */
const SWEEP_PAGE = 500;

/** Thrown by the crash seam in tests: stops the engine exactly where a SIGKILL would. */
export class SimulatedCrash extends Error {}

/**
 * Takes access away: each due grant once (an in-flight guard across sweeps, the timer and
 * `/jit revoke`), through its provider, retried with backoff and announced hourly until the
 * provider confirms and a read-back shows the access gone — or its own expiry has provably passed.
 */
export class Revoker {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly deps: EngineDeps,
    private readonly calls: ProviderCalls,
    private readonly work: BackgroundWork,
  ) {}

  /**
   * Revokes every grant due now that no other replica is revoking: each page is leased to this
   * replica first (claimDue), so replicas sweeping at once share the work and never double it.
   * Returns how many ended.
   */
  async sweep(): Promise<number> {
    const { store, clock } = this.deps;
    const owner = ownerOf(this.deps);
    let ended = 0;
    const seen = new Set<string>();
    // A slot bounds the removals in flight; a read-back waits for its batch without one, within
    // a bound of its own (its end is still to be written, and the heartbeat's lease renewal
    // must not wait behind a page of them for a database connection). One pool for the whole
    // sweep: the next page is claimed while the last one's read-backs still wait for their calls.
    const slots = this.deps.concurrency ?? 16;
    const pool = new ReleasingPool(slots, slots * TAILS_PER_SLOT);
    for (;;) {
      // Each page's lease starts now, not at the sweep's start: a page claimed minutes into a long
      // sweep would otherwise be born lapsed, and another replica could revoke it a second time.
      const page = await store.grants.claimDue(clock.now(), SWEEP_PAGE, owner, LEASE_MS);
      // This replica's own leases come back while their revokes run (the timer's sweep beside the
      // minute's, or the last page's read-backs): each grant is looked at once per sweep.
      const fresh = page.filter((grant) => !seen.has(grant.requestId));
      for (const grant of fresh) seen.add(grant.requestId);
      let stopped = false;
      for (const grant of fresh) {
        stopped = !(await pool.start(async (release) => {
          if (this.work.accepting && (await this.revokeSafely(grant, release))) ended++;
        }));
        if (stopped) break;
      }
      if (stopped || page.length < SWEEP_PAGE || fresh.length === 0 || !this.work.accepting) break;
    }
    await pool.finished();
    this.deps.onScheduleChanged?.();
    return ended;
  }

  /**
   * A bug or a database error while revoking one grant must not stop the others; the grant is
   * pushed back with backoff so neither this sweep nor the timer spins on it.
   */
  private async revokeSafely(grant: GrantRecord, removed: () => void): Promise<boolean> {
    try {
      return await this.revokeOne(grant, removed);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      const message = this.calls.explain(error, { requestId: grant.requestId, verb: "revoke" });
      const nextAttemptAt = new Date(this.deps.clock.now().getTime() + backoffMs(grant.revokeAttempts));
      try {
        await this.deps.store.grants.revokeFailed({ requestId: grant.requestId, error: message, nextAttemptAt });
      } catch (storeError) {
        this.deps.logger.error(
          { requestId: grant.requestId, err: String(storeError) },
          "could not record a failed revoke",
        );
      }
      return false;
    }
  }

  /**
   * `/jit revoke` (or cancel): an active grant is revoked now; one still in flight keeps the intent
   * and is revoked the moment it completes; an approved request whose grant has not started is
   * cancelled. Undefined when there is nothing to end.
   */
  async endEarly(requestId: string, actor: string): Promise<EarlyEnd | undefined> {
    const outcome = await this.deps.store.grants.requestEnd(requestId, this.deps.clock.now(), actor);
    if (outcome === "revoking") await this.revokeDue(requestId);
    return outcome;
  }

  /** Revokes one grant that is due now (an early end), without waiting for the sweep. */
  async revokeDue(requestId: string): Promise<void> {
    const { store, clock } = this.deps;
    // Leased first: a sweep on another replica that found it due at the same moment leaves it alone.
    const grant = await store.grants.claim(requestId, clock.now(), ownerOf(this.deps), LEASE_MS);
    if (grant) await this.revokeOne(grant);
    this.deps.onScheduleChanged?.();
  }

  /** `removed` is told when the provider's removal has returned, before its read-back. */
  private async revokeOne(grant: GrantRecord, removed?: () => void): Promise<boolean> {
    if (this.inFlight.has(grant.requestId)) return false;
    this.inFlight.add(grant.requestId);
    try {
      // A sweep page can be seconds old by now: another path may have ended it meanwhile, or, on a
      // starved replica whose leases lapsed, another replica taken it over. Leased again from the
      // clock now, or left alone: only the lease holder sends the removal.
      const { store, clock } = this.deps;
      const current = await store.grants.claim(grant.requestId, clock.now(), ownerOf(this.deps), LEASE_MS);
      if (!current) return false;
      return await this.revokeWithProvider(current, removed);
    } finally {
      this.inFlight.delete(grant.requestId);
    }
  }

  private async revokeWithProvider(grant: GrantRecord, removed?: () => void): Promise<boolean> {
    const { store, clock, notifier } = this.deps;
    const request = await store.requests.mustGet(grant.requestId);
    const profile = findProfile(this.deps.policy, request.profileId);
    const provider = profile && providerFor(this.deps.providers, profile);
    // An early end names itself; an unconfirmed break-glass grant due before its end missed its deadline.
    const reason = grant.endReason ?? (missedConfirmation(request, grant.expiresAt) ? "not_confirmed" : "expired");
    let detail: string;
    let proof: Proof = { verified: false };
    try {
      if (!profile || !provider)
        throw new Error(`profile ${request.profileId} or its provider is gone from the policy`);
      await this.calls.waitFor(provider.type);
      const active = activeGrantOf(grant, request, profile);
      const outcome = await this.calls.timed(provider.type, "revoke", () => provider.revoke(active));
      this.deps.crashAfterProviderCall?.("revoke", grant.requestId);
      detail = outcome.detail;
      removed?.();
      proof = await proveRevoke(this.deps, this.calls, provider, active);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      const now = clock.now();
      // The cloud's own end settles a revoke that could not run, never one that visibly did not take.
      const stillShown = isProviderError(error) && error.code === "NOT_REVOKED";
      if (grant.providerExpiresAt && grant.providerExpiresAt <= now && !stillShown) {
        detail = `ended by the provider's own expiry at ${grant.providerExpiresAt.toISOString()}`;
      } else {
        const message = this.calls.explain(error, { requestId: grant.requestId, verb: "revoke" });
        // The parts a composite already removed are remembered, so the retry checks them, not redoes them.
        if (error instanceof PartialRevokeError) {
          await store.grants.setState(grant.requestId, error.state, grant.providerExpiresAt);
        }
        const retryAfter = isProviderError(error) ? error.retryAfterMs : undefined;
        if (retryAfter !== undefined && provider) this.calls.pause(provider.type, now.getTime() + retryAfter);
        const delay = retryAfter ?? backoffMs(grant.revokeAttempts);
        this.deps.metrics?.revocationFailures.inc({ provider: provider?.type ?? "unknown" });
        await store.grants.revokeFailed({
          requestId: grant.requestId,
          error: message,
          nextAttemptAt: new Date(now.getTime() + delay),
        });
        const quiet = grant.lastAlertAt && now.getTime() - grant.lastAlertAt.getTime() < ALERT_EVERY_MS;
        const throttledOnly = isProviderError(error) && error.code === "THROTTLED" && grant.revokeAttempts < 10;
        if (profile && !quiet && !throttledOnly) {
          await store.grants.markAlerted(grant.requestId, now);
          this.work.track(notifier.revokeFailing(request, profile, grant, message));
        }
        return false;
      }
    }
    const endedAt = clock.now();
    const ended = await store.grants.end({
      requestId: grant.requestId,
      reason,
      at: endedAt,
      actor: "jitbot",
      detail,
      ...proof,
    });
    if (!ended) return false;
    this.deps.logger.info({ requestId: grant.requestId, reason, detail, verified: proof.verified }, "access ended");
    // Lag is the promise "access ends on time": an early /jit revoke is not lateness.
    if (reason === "expired") {
      this.deps.metrics?.revocationLag.observe(Math.max(0, endedAt.getTime() - grant.expiresAt.getTime()) / 1000);
    }
    // The access is gone once the store says so; telling Slack must not hold one of the sweep's slots.
    // Claimed and marked told in the store, so a stop or a Slack failure here is told by a heartbeat.
    if (profile) this.work.track(tellEnd(this.deps, ended.request, profile, ended.grant, detail));
    return true;
  }
}
