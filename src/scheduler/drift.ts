import type { Policy, Profile } from "../config/schema.js";
import { partsOf } from "../domain/bundle.js";
import type { Clock } from "../domain/clock.js";
import { takeInventory } from "../grants/inventory.js";
import type { ProviderRegistry } from "../grants/registry.js";
import type { CloudFinding, Logger, Notifier } from "../service/ports.js";
import type { Store } from "../store/index.js";

/**
 * Access that no live grant explains and no `standingMembers` entry declares, for every grant type:
 * group members, PIM assignments, temporary applications, EKS access entries. Each finding is posted
 * to the profile's channel once, and again only when it changes (or goes away and comes back); the
 * ones already posted are remembered in the store. Nothing is removed here (see grants/reaper.ts).
 */
export async function reportDrift(deps: {
  store: Store;
  policy: Policy;
  providers: ProviderRegistry;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
}): Promise<void> {
  const { store, policy, notifier, clock } = deps;
  const inventory = await takeInventory(deps, clock.now());
  for (const profile of policy.profiles) {
    // A profile whose listing failed keeps its memory: recovering must not re-post everything.
    if (!inventory.listed.has(profile.id)) continue;
    const current = new Map<string, string>();
    const findings = new Map<string, CloudFinding>();
    for (const { profile: owner, object, verdict } of inventory.judged) {
      if (
        !(partsOf(profile) as Profile[]).includes(owner) ||
        (verdict.kind !== "unexplained" && verdict.kind !== "orphan")
      )
        continue;
      const why = verdict.kind === "orphan" ? `${verdict.why}; the orphan reaper removes it` : verdict.why;
      current.set(object.key, `${verdict.kind}|${object.fingerprint}`);
      findings.set(object.key, { description: object.description, why, requestId: object.requestId });
    }
    const reported = await store.findings.reported(profile.id);
    const fresh = [...current].filter(([key, print]) => reported.get(key) !== print).map(([key]) => key);
    if (fresh.length) {
      await notifier.driftFound(
        profile,
        fresh.flatMap((key) => findings.get(key) ?? []),
      );
    }
    await store.findings.settle(profile.id, current, clock.now());
  }
}
