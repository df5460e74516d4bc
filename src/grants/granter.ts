import type { Profile } from "../config/schema.js";
import { grantTypesOf } from "../domain/bundle.js";
import { describeFailure } from "../domain/messages.js";
import { findProfile } from "../domain/policy.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { EngineDeps } from "./engine.js";
import { DM_CLAIM_STALE_MS, dmClaim, LEASE_MS, ownerOf } from "./lease.js";
import type { GrantProvider } from "./provider.js";
import { canReadBack, ROLLBACK_STATE } from "./provider.js";
import { type ProviderCalls, subjectOf } from "./provider-calls.js";
import { readBackUntil } from "./read-back.js";
import { providerFor } from "./registry.js";
import { type Revoker, SimulatedCrash } from "./revoker.js";

/** An approval this old with no grant row has lost the replica that approved it. */
const ORPHANED_APPROVAL_MS = 30_000;
const RESTARTED = "jitbot restarted while granting this access, so it was rolled back. Please request it again.";

/**
 * Gives access: the grant is recorded before the provider is called, a grant that fails is rolled
 * back (and kept retrying until the provider confirms), and a revoke asked for while the call was
 * in flight is carried out the moment it completes, before any credentials are sent.
 */
export class Granter {
  constructor(
    private readonly deps: EngineDeps,
    private readonly calls: ProviderCalls,
    private readonly revoker: Revoker,
  ) {}

  async grant(request: AccessRequest): Promise<void> {
    const { store, clock, notifier } = this.deps;
    const profile = findProfile(this.deps.policy, request.profileId);
    const provider = profile && providerFor(this.deps.providers, profile);
    const startedAt = clock.now();
    const expiresAt = new Date(startedAt.getTime() + request.durationSeconds * 1000);
    const started = await store.grants.start({
      requestId: request.id,
      provider: provider?.type ?? profile?.grant.type ?? "unknown",
      at: startedAt,
      expiresAt,
      owner: ownerOf(this.deps),
      leaseMs: LEASE_MS,
    });
    if (!started) {
      this.deps.logger.info({ requestId: request.id }, "no longer approved (withdrawn meanwhile): nothing granted");
      return;
    }
    if (!profile || !provider) {
      const reason = profile
        ? `No provider is configured for grant type ${grantTypesOf(profile)}.`
        : `Profile ${request.profileId} is no longer in the policy.`;
      await store.grants.fail({ requestId: request.id, at: startedAt, reason });
      if (profile) await this.tellFailed(request.id, profile, reason, true);
      return;
    }
    try {
      const outcome = await this.calls.timed(provider.type, "grant", () =>
        provider.grant({
          requestId: request.id,
          profile,
          subject: subjectOf(request),
          durationSeconds: request.durationSeconds,
          startsAt: startedAt,
          expiresAt,
          justification: request.justification,
          ticket: request.ticket,
        }),
      );
      this.deps.crashAfterProviderCall?.("grant", request.id);
      // Throws when the row is no longer in flight (another process failed it): rolled back below.
      await store.grants.activate({
        requestId: request.id,
        state: outcome.state,
        at: clock.now(),
        expiresAt,
        providerExpiresAt: outcome.providerExpiresAt,
      });
      this.deps.logger.info(
        { requestId: request.id, profile: profile.id, provider: provider.type, expiresAt: expiresAt.toISOString() },
        "access granted",
      );
      this.deps.onScheduleChanged?.();
      const grant = (await store.grants.get(request.id)) as GrantRecord;
      if (grant.revokeRequestedAt) {
        this.deps.logger.info(
          { requestId: request.id, by: grant.revokeRequestedBy },
          "a revoke was asked for while granting: revoking before any credentials are sent",
        );
        await this.revoker.revokeDue(request.id);
        return;
      }
      // The grant is durable from here on: a lost DM must not undo it (the person can ask again).
      // Another replica sends it only if this one stops first (ReplicaDuties).
      if (!(await store.claimMessage(dmClaim(request.id), this.deps.clock.now(), DM_CLAIM_STALE_MS))) return;
      const dm = await notifier.grantActivated(
        await store.requests.mustGet(request.id),
        profile,
        grant,
        outcome.instructions,
      );
      const hasSecret = outcome.instructions.sections.some((s) => s.secret);
      if (dm) {
        await store.grants.recordDm(request.id, dm.channel, dm.ts, hasSecret);
        // A revoke that landed while the DM was on its way found no DM to redact: redact it now.
        const now = await store.grants.get(request.id);
        if (now && now.status !== "active") {
          await notifier.credentialsDead(await store.requests.mustGet(request.id), profile, now);
        }
      }
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      if ((await store.grants.get(request.id))?.status === "active") throw error;
      const reason = this.calls.explain(error, { requestId: request.id, verb: "grant" });
      await this.undo(provider, request, profile, expiresAt, reason);
    }
  }

  /**
   * Start-up: a grant whose provider call was interrupted by a crash is rolled back (security over
   * convenience) and the requester is told to ask again; an approval that never reached the engine
   * is granted now (one withdrawn meanwhile is not).
   */
  async reconcile(when: "startup" | "periodic" = "startup"): Promise<void> {
    const { store, clock } = this.deps;
    const owner = ownerOf(this.deps);
    const now = clock.now();
    // At start-up, an earlier life of this replica left its rows leased to its own name; later on,
    // this replica's own rows are its grants in progress (renewed by its heartbeat), never orphans.
    const candidates = await store.grants.inFlight({ owner: when === "startup" ? owner : "", now });
    for (const grant of candidates) {
      // Whoever takes the row over rolls it back; another replica doing the same now is refused.
      if (!(await store.grants.takeOver(grant.requestId, now, owner, LEASE_MS))) continue;
      const request = await store.requests.mustGet(grant.requestId);
      const profile = findProfile(this.deps.policy, request.profileId);
      const provider = profile && providerFor(this.deps.providers, profile);
      if (profile && provider) {
        await this.undo(provider, request, profile, grant.expiresAt, RESTARTED);
      } else {
        await store.grants.fail({ requestId: grant.requestId, at: clock.now(), reason: RESTARTED });
      }
    }
    // An approval whose replica stopped before the grant started. Periodically, only approvals old
    // enough that their own replica would have started by now (start() keeps it to one grant anyway).
    const settled = now.getTime() - ORPHANED_APPROVAL_MS;
    for (const request of await store.requests.listByStatus("approved")) {
      if (when === "periodic" && (request.decidedAt?.getTime() ?? 0) > settled) continue;
      if (!(await store.grants.get(request.id))) await this.grant(request);
    }
  }

  /** Undo a failed or interrupted grant; what the provider does not confirm is retried until it does. */
  private async undo(
    provider: GrantProvider,
    request: AccessRequest,
    profile: Profile,
    expiresAt: Date,
    reason: string,
  ): Promise<void> {
    const { store, clock } = this.deps;
    const rolledBack = await this.rollBack(provider, request, profile, expiresAt);
    if (rolledBack) {
      await store.grants.fail({ requestId: request.id, at: clock.now(), reason });
    } else {
      await store.grants.rollBackLater({
        requestId: request.id,
        at: clock.now(),
        reason,
        rollbackState: ROLLBACK_STATE,
      });
      this.deps.onScheduleChanged?.();
    }
    await this.tellFailed(request.id, profile, reason, rolledBack);
  }

  private async tellFailed(requestId: string, profile: Profile, reason: string, rolledBack: boolean): Promise<void> {
    const { store, notifier } = this.deps;
    const revokeRequestedBy = (await store.grants.get(requestId))?.revokeRequestedBy;
    if (!(await store.claimMessage(dmClaim(requestId), this.deps.clock.now(), DM_CLAIM_STALE_MS))) return;
    const dm = await notifier.grantFailed(await store.requests.mustGet(requestId), profile, reason, {
      rolledBack,
      revokeRequestedBy,
    });
    // Told: a replica's heartbeat tells whoever a stopped replica failed to (ReplicaDuties). A grant
    // still being rolled back keeps its DM slot for the revoker's messages.
    if (dm && rolledBack) await store.grants.recordDm(requestId, dm.channel, dm.ts, false);
  }

  /**
   * True once the provider confirmed that nothing of the grant is left and a read-back agrees;
   * otherwise the revoker's retries (which read back too) take over.
   */
  private async rollBack(
    provider: GrantProvider,
    request: AccessRequest,
    profile: Profile,
    expiresAt: Date,
  ): Promise<boolean> {
    try {
      const grant = { requestId: request.id, profile, subject: subjectOf(request), expiresAt, state: ROLLBACK_STATE };
      await provider.revoke(grant);
      if (!canReadBack(provider)) return true;
      const proof = await readBackUntil(provider, grant, "gone", this.deps.clock);
      if (proof.status !== "gone")
        this.deps.logger.warn({ requestId: request.id, readBack: proof.detail }, "roll-back not shown yet");
      return proof.status === "gone";
    } catch (error) {
      this.deps.logger.warn(
        { requestId: request.id, err: describeFailure(error, "-") },
        "roll-back after a failed grant failed",
      );
      return false;
    }
  }
}
