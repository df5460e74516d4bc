import type { Policy } from "../config/schema.js";
import { canListMembers } from "../grants/provider.js";
import type { ProviderRegistry } from "../grants/registry.js";
import type { Notifier } from "../service/ports.js";
import type { Store } from "../store/index.js";

/**
 * For group-based profiles: who holds the membership without an active grant and is not a
 * declared standing member. Reported to the profile's channel; nothing is removed.
 */
export async function reportDrift(deps: {
  store: Store;
  policy: Policy;
  providers: ProviderRegistry;
  notifier: Notifier;
}) {
  const { store, policy, providers, notifier } = deps;
  const explained = new Map<string, Set<string>>();
  for (const grant of store.grants.active()) {
    const request = store.requests.get(grant.requestId);
    if (!request) continue;
    const ids = explained.get(request.profileId) ?? new Set<string>();
    for (const key of ["userId", "servicePrincipalId", "userPrincipalName"]) {
      const value = grant.state[key];
      if (typeof value === "string") ids.add(value.toLowerCase());
    }
    if (request.requesterEmail) ids.add(request.requesterEmail.toLowerCase());
    explained.set(request.profileId, ids);
  }
  for (const profile of policy.profiles) {
    if (profile.grant.type !== "entra-group") continue;
    const provider = providers.get(profile.grant.type);
    if (!provider || !canListMembers(provider)) continue;
    const standing = new Set(profile.standingMembers.map((m) => m.toLowerCase()));
    const ok = explained.get(profile.id) ?? new Set<string>();
    const unexplained = (await provider.listMembers(profile)).filter((member) => {
      const keys = [member.id, member.userPrincipalName ?? ""].map((k) => k.toLowerCase());
      return !keys.some((k) => ok.has(k) || standing.has(k));
    });
    if (unexplained.length) await notifier.driftFound(profile, unexplained);
  }
}
