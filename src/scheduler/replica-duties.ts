import type { TimerHandle } from "../domain/clock.js";
import { findProfile } from "../domain/policy.js";
import { DM_CLAIM_STALE_MS, dmClaim, LEASE_MS } from "../grants/lease.js";
import type { ConnectInstructions } from "../grants/provider.js";
import type { SchedulerDeps } from "./scheduler.js";
import { tellUntoldEnds } from "./untold-ends.js";

/** How often a replica beats: well inside LEASE_MS, so a live replica never loses a lease. */
const HEARTBEAT_MS = 10_000;
/** A pending request this old with no approval message lost its replica before announcing it. */
const UNANNOUNCED_AFTER_MS = 30_000;
/**
 * An announcement that failed (Slack down, or its replica stopped mid-way) is tried again by
 * whichever replica claims the next slot.
 */
const UNANNOUNCED_RETRY_MS = 60_000;

/** A grant this old with no DM lost its replica (or Slack) before the person was told. */
const UNTOLD_AFTER_MS = 30_000;
/** Only failures this recent are told late: older ones predate the DM being recorded at all. */
const UNTOLD_FAILURES_WITHIN_MS = 3_600_000;

type Chore = "adopt" | "announce" | "tell" | "tell-ends" | "link";

/**
 * What each replica does on its heartbeat, driven by the injected clock: says it is alive and what
 * its clock reads (doctor's skew check), renews the leases it holds, and picks up what a stopped
 * replica left behind — grants in flight whose lease lapsed and approvals never granted (adopt),
 * requests never announced to their approvers (announce), grants whose person was never told of
 * their start or failure (tell) or of their end (tell-ends),
 * audit events queued and never linked into the chain (link). The chores run in the background, each
 * at most once at a time, so a slow provider never holds up the next beat. Nothing here rejects.
 */
export class ReplicaDuties {
  private beating: TimerHandle | undefined;
  private stopped = false;
  private renewing = false;
  private readonly running = new Map<Chore, Promise<void>>();

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    void this.beat(); // never rejects
  }

  stop(): void {
    this.stopped = true;
    this.beating?.cancel();
  }

  private async beat(): Promise<void> {
    const { store, clock, logger } = this.deps;
    const now = clock.now();
    // The next beat is armed from this beat's own time, before any call: armed after them, every
    // slow database round trip pushed all later beats back, and a stale claim waited beats longer.
    if (!this.stopped) this.beating = clock.setTimer(() => void this.beat(), HEARTBEAT_MS); // never rejects
    // A renewal still under way from an earlier beat is left to finish; the chores guard themselves.
    if (!this.renewing) await this.renew(this.deps.replicaId ?? "jitbot");
    this.chore("adopt", () => this.deps.engine.reconcile("periodic"));
    this.chore("announce", () => this.announceUnannounced(now));
    this.chore("tell", async () => {
      await this.tellUntold(now);
      await this.tellUntoldFailures(now);
    });
    // Apart from "tell": ends retried while Slack fails must not hold up a new grant's lost DM.
    this.chore("tell-ends", () => tellUntoldEnds(this.deps, now));
    this.chore("link", async () => {
      if (!(await store.linkAudits())) logger.warn({}, "audit events are waiting to be linked into the chain");
    });
  }

  private async renew(replicaId: string): Promise<void> {
    const { store, clock, logger } = this.deps;
    this.renewing = true;
    try {
      // Leases first, from the clock as the renewal is sent: a beat that waited on a busy pool must
      // not renew to a time already half gone, or another replica takes the grants it is revoking.
      await store.grants.renewLeases(replicaId, clock.now(), LEASE_MS);
      await store.heartbeat(replicaId, clock.now());
    } catch (error) {
      logger.error({ err: describe(error) }, "heartbeat failed");
    } finally {
      this.renewing = false;
    }
  }

  private chore(name: Chore, work: () => Promise<void>): void {
    if (this.stopped || this.running.has(name)) return;
    const run = work()
      .catch((error: unknown) => this.deps.logger.error({ chore: name, err: describe(error) }, "replica chore failed"))
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    this.deps.engine.track(run);
  }

  private async tellUntold(now: Date): Promise<void> {
    const { store, notifier, policy, logger } = this.deps;
    for (const grant of await store.grants.untold(new Date(now.getTime() - UNTOLD_AFTER_MS), 100)) {
      const request = await store.requests.mustGet(grant.requestId);
      const profile = findProfile(policy, request.profileId);
      // The replica that granted it claimed its DM; taken over only once that claim is stale.
      if (!profile || !(await store.claimMessage(dmClaim(grant.requestId), now, DM_CLAIM_STALE_MS))) continue;
      logger.warn({ requestId: grant.requestId }, "a grant's DM was never sent: telling the person now");
      const dm = await notifier.grantActivated(request, profile, grant, LOST_STEPS);
      if (dm) await store.grants.recordDm(grant.requestId, dm.channel, dm.ts, false);
    }
  }

  /** Failures whose DM was lost with its replica: the request's own failure reason, sent now. */
  private async tellUntoldFailures(now: Date): Promise<void> {
    const { store, notifier, policy } = this.deps;
    const since = new Date(now.getTime() - UNTOLD_FAILURES_WITHIN_MS);
    const until = new Date(now.getTime() - UNTOLD_AFTER_MS);
    for (const grant of await store.grants.untoldFailures(since, until, 100)) {
      const request = await store.requests.mustGet(grant.requestId);
      const profile = findProfile(policy, request.profileId);
      if (!profile || !(await store.claimMessage(dmClaim(grant.requestId), now, DM_CLAIM_STALE_MS))) continue;
      const reason = grant.lastError ?? "granting failed";
      const dm = await notifier.grantFailed(request, profile, reason, { rolledBack: true });
      if (dm) await store.grants.recordDm(grant.requestId, dm.channel, dm.ts, false);
    }
  }

  private async announceUnannounced(now: Date): Promise<void> {
    const { store, notifier, policy, logger } = this.deps;
    const slot = Math.floor(now.getTime() / UNANNOUNCED_RETRY_MS);
    for (const request of await store.requests.listByStatus("pending", 1000)) {
      if (request.approvalTs || now.getTime() - request.createdAt.getTime() < UNANNOUNCED_AFTER_MS) continue;
      const profile = findProfile(policy, request.profileId);
      if (!profile || !(await store.claimDelivery(`announce:${request.id}:${slot}`, now))) continue;
      logger.warn({ requestId: request.id }, "a request was never announced to its approvers: posting it now");
      const posted = await notifier.requestSubmitted(request, profile);
      if (posted.receipt) await store.requests.setReceipt(request.id, posted.receipt.channel, posted.receipt.ts);
      if (posted.approval) {
        await store.requests.setApprovalMessage(request.id, posted.approval.channel, posted.approval.ts);
      }
    }
  }
}

/**
 * The DM for a grant whose own DM was lost: the provider's steps (and any credentials in them) lived
 * only in the memory of the replica that stopped, so they cannot be sent again.
 */
const LOST_STEPS: ConnectInstructions = {
  summary: "jitbot restarted before it could send your connect steps.",
  sections: [
    {
      heading: "What to do",
      text:
        "If this access is a group or role membership, connect as you usually do: it is in place until the time above. " +
        "If it came with credentials, they were lost in the restart: end it with `/jit revoke` and request it again.",
    },
  ],
  notes: [],
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
