import type { Policy, Profile } from "../config/schema.js";
import { partsOf, requestables } from "../domain/bundle.js";
import { findProfile } from "../domain/policy.js";
import type { Store } from "../store/index.js";
import { entraEmailFor } from "./entra/identity.js";
import { type Evidence, type KnownRequest, type LatestGrant, latestGrantIndex } from "./orphan-verdict.js";
import { type OwnedObject, targetOf, targetsOf } from "./orphans.js";

/** State keys under which providers store who holds the access (see each provider's `state`). */
const HOLDER_KEYS = ["userId", "servicePrincipalId", "userPrincipalName", "principalArn", "applicationId", "appId"];

/** The person's keys: their Slack email and the Entra email it maps to (identity.emailDomainMap). */
function personKeys(email: string | undefined, profile: Profile, policy: Policy): string[] {
  if (!email) return [];
  return [...new Set([email, entraEmailFor(email, profile, policy)].map((e) => e.toLowerCase()))];
}

/**
 * One snapshot of the store, as the verdict needs it for one profile and the objects about to be
 * judged (the requests they name are read up front, so the verdict itself stays pure). Taken again
 * right before each removal: a grant that started after the listing must protect what it relies on.
 */
export async function evidenceFor(
  deps: { store: Store; policy: Policy },
  profile: Profile,
  objects: readonly OwnedObject[],
  now: Date,
  rollbackWindowMs: number,
): Promise<Evidence> {
  const { store, policy } = deps;
  const target = targetOf(profile);
  // A grant list or a bundle reaches several targets: the part on this one is the owner here.
  const onTarget = (profileId: string) => {
    const found = findProfile(policy, profileId);
    return found && partsOf(found).find((part) => targetOf(part) === target);
  };
  // Reads only, so their order does not matter.
  const ids = [...new Set(objects.flatMap((object) => (object.requestId === undefined ? [] : [object.requestId])))];
  const named = new Map(await Promise.all(ids.map(async (id) => [id, await store.findings.request(id)] as const)));
  const liveHolders = new Set<string>();
  const inFlightRequesters = new Set<string>();
  for (const facts of await store.findings.live()) {
    const owner = onTarget(facts.profileId);
    if (!owner) continue;
    for (const [key, value] of Object.entries(facts.state)) {
      // A composite keeps part i's state under `p<i>.` (grants/composite-state.ts).
      if (!HOLDER_KEYS.includes(key.replace(/^p\d+\./, ""))) continue;
      if (typeof value === "string" && value) liveHolders.add(value.toLowerCase());
    }
    for (const key of personKeys(facts.requesterEmail, owner, policy)) liveHolders.add(key);
    if (facts.grantStatus !== "active") inFlightRequesters.add(facts.requesterId);
  }
  const sameTarget = requestables(policy)
    .filter((p) => targetsOf(p).includes(target))
    .map((p) => p.id);
  const started = await store.findings.startedSince(sameTarget, new Date(now.getTime() - rollbackWindowMs));
  const latestGrants: LatestGrant[] = started.map((facts) => ({
    requestId: facts.requestId,
    holders: personKeys(facts.requesterEmail, onTarget(facts.profileId) ?? profile, policy),
    failed: facts.grantStatus === "failed",
    at: facts.updatedAt,
  }));
  return {
    liveHolders,
    inFlightRequesters,
    standing: new Set(profile.standingMembers.map((m) => m.toLowerCase())),
    request(requestId): KnownRequest | undefined {
      const facts = named.get(requestId);
      if (!facts) return undefined;
      const owner = findProfile(policy, facts.profileId);
      const live =
        facts.grantStatus === "granting" ||
        facts.grantStatus === "active" ||
        (facts.requestStatus === "approved" && facts.grantStatus === undefined);
      const targets = owner && targetsOf(owner);
      const ownTarget = targets && (targets.includes(target) ? target : targets[0]);
      return { requestId, requesterId: facts.requesterId, target: ownTarget, live };
    },
    latestGrantOf: latestGrantIndex(latestGrants),
    now,
    rollbackWindowMs,
  };
}
