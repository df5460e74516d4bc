import type { Profile } from "../config/schema.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { EngineDeps } from "./engine.js";
import { DM_CLAIM_STALE_MS, endedClaim } from "./lease.js";

/**
 * Tells a grant's end (the approval message, the credential DM redacted, the person's DM) once
 * across replicas. The replica that ended it claims the notice first; a claim this old whose notice
 * was never marked told belonged to a replica that stopped, or Slack failed it, and a heartbeat
 * takes it over (src/scheduler/untold-ends.ts). A failed notice keeps its claim until it is stale,
 * which paces the retries while Slack is down. True when it was told now.
 */
export async function tellEnd(
  deps: Pick<EngineDeps, "store" | "clock" | "notifier">,
  request: AccessRequest,
  profile: Profile,
  grant: GrantRecord,
  detail: string,
): Promise<boolean> {
  const { store, clock, notifier } = deps;
  if (!(await store.claimMessage(endedClaim(grant.requestId), clock.now(), DM_CLAIM_STALE_MS))) return false;
  if (!(await notifier.grantEnded(request, profile, grant, detail))) return false;
  await store.grants.markEndTold(grant.requestId, clock.now());
  return true;
}
