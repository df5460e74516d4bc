import type { ActiveGrant, ExtendOutcome } from "./provider.js";

/**
 * `extend` for grant types whose end only jitbot enforces (a group membership, an EKS access
 * entry): the cloud holds no end date to move, so the extension is jitbot's new end alone.
 */
export function extendOwnTimer(grant: ActiveGrant, expiresAt: Date, what: string): ExtendOutcome {
  return {
    state: grant.state,
    detail: `${what} has no end date in the cloud; jitbot removes it at ${expiresAt.toISOString()}`,
  };
}
