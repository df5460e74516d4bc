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
