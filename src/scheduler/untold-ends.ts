import { findProfile } from "../domain/policy.js";
import type { GrantRecord } from "../domain/request.js";
import { tellEnd } from "../grants/end-notice.js";
import { DM_CLAIM_STALE_MS, endedClaim } from "../grants/lease.js";
import type { SchedulerDeps } from "./scheduler.js";

/** An end this old and untold lost its replica (or Slack) before the person was told. */
const UNTOLD_END_AFTER_MS = 30_000;
/**
 * Ends older than this are not told late: a day on, the news is stale, and the credentials in the
 * DM (if any) expired with the grant long ago. It also bounds what each heartbeat reads.
 */
const UNTOLD_ENDS_WITHIN_MS = 86_400_000;
/** Ends told per heartbeat at most; the next beat (10 s later) takes the rest. */
const UNTOLD_ENDS_PAGE = 100;

/**
 * The heartbeat's share of telling ends: each grant ended 30 s to a day ago whose notice was never
 * marked told, and whose claim (if any) is stale, is told now by whichever replica claims it —
 * the approval message refreshed, the credential DM redacted, the person's DM sent. Never rejects
 * for one grant: the others are still told.
 */
export async function tellUntoldEnds(deps: SchedulerDeps, now: Date): Promise<void> {
  const { store, policy, logger } = deps;
  const ended = {
    since: new Date(now.getTime() - UNTOLD_ENDS_WITHIN_MS),
    until: new Date(now.getTime() - UNTOLD_END_AFTER_MS),
  };
  const claimedBefore = new Date(now.getTime() - DM_CLAIM_STALE_MS);
  for (const grant of await store.grants.untoldEnds(ended, claimedBefore, UNTOLD_ENDS_PAGE)) {
    try {
      const request = await store.requests.mustGet(grant.requestId);
      const profile = findProfile(policy, request.profileId);
      if (!profile) {
        // Nothing can be told without its profile; claimed so it waits its turn behind the others.
        await store.claimMessage(endedClaim(grant.requestId), now, DM_CLAIM_STALE_MS);
        continue;
      }
      if (await tellEnd(deps, request, profile, grant, lateDetail(grant))) {
        logger.warn({ requestId: grant.requestId }, "a grant's end was told late (its replica or Slack failed first)");
      }
    } catch (error) {
      logger.error(
        { requestId: grant.requestId, err: error instanceof Error ? error.message : String(error) },
        "could not tell a grant's end",
      );
    }
  }
}

/** What the provider said at the end lived only in the memory of the replica that ended it. */
function lateDetail(grant: GrantRecord): string {
  const at = grant.endedAt?.toISOString() ?? "an earlier time";
  return `Ended at ${at}. jitbot could not tell you then (it restarted, or Slack was unavailable).`;
}
