import type { EngineDeps } from "./engine.js";

/**
 * How long a replica's claim on a grant (in flight, or being revoked) lasts without renewal. The
 * heartbeat renews it every few seconds; a replica that dies loses it this long after its last beat,
 * and another replica takes the grant over.
 */
export const LEASE_MS = 60_000;

/** The lease owner's name: the replica id, or one fixed name for a process alone on its SQLite file. */
export function ownerOf(deps: Pick<EngineDeps, "replicaId">): string {
  return deps.replicaId ?? "jitbot";
}

/**
 * A grant's DM (its connect steps, or why it failed) is sent by the one replica that claims it. A
 * claim this old whose DM was never recorded belonged to a replica that stopped before sending: the
 * heartbeat takes it over. Longer than any wait in Slack's lanes, so a slow post is not doubled.
 */
export const DM_CLAIM_STALE_MS = 120_000;

export function dmClaim(requestId: string): string {
  return `dm:${requestId}`;
}

/**
 * The end of a grant (its channel message, its credential DM redacted, the DM saying it ended) is
 * told by the one replica that claims this key, on the same staleness rule as the grant's DM.
 */
export const ENDED_CLAIM_PREFIX = "ended:";

export function endedClaim(requestId: string): string {
  return `${ENDED_CLAIM_PREFIX}${requestId}`;
}
