import type { GrantType, Policy, Profile } from "../config/schema.js";
import { policyParts } from "../domain/bundle.js";
import type { Logger } from "../service/ports.js";
import type { Store } from "../store/index.js";
import { isProviderError } from "./errors.js";
import { evidenceFor } from "./orphan-evidence.js";
import { judge, type Verdict } from "./orphan-verdict.js";
import { canFindOrphans, type OwnedObject, targetOf } from "./orphans.js";
import { canListMembers } from "./provider.js";
import type { ProviderRegistry } from "./registry.js";

/** A member of a rolled-back grant's group stays provably jitbot's this long after the roll-back. */
export const ROLLBACK_WINDOW_MS = 24 * 3600_000;

export interface InventoryDeps {
  store: Store;
  policy: Policy;
  providers: ProviderRegistry;
  logger: Logger;
}

export interface Judged {
  profile: Profile;
  object: OwnedObject;
  verdict: Verdict;
}

export interface Inventory {
  judged: Judged[];
  /** Profiles whose listing succeeded: only their drift memory may be updated. */
  listed: Set<string>;
  /** Grant types whose listing failed: nothing of theirs is judged this pass. */
  failed: GrantType[];
}

/** A provider that can only list members (no OrphanFinder) still feeds the drift report. */
async function listFor(type: GrantType, profile: Profile, deps: InventoryDeps): Promise<OwnedObject[] | undefined> {
  const provider = deps.providers.get(type);
  if (!provider) return undefined;
  if (canFindOrphans(provider)) return provider.listOwned(profile);
  if (type !== "entra-group" || !canListMembers(provider)) return undefined;
  return (await provider.listMembers(profile)).map((m) => ({
    key: `member:${m.id}`,
    ref: m.id,
    description: m.userPrincipalName ? `${m.displayName} (${m.userPrincipalName}) ${m.id}` : `${m.displayName} ${m.id}`,
    holders: [m.id, ...(m.userPrincipalName ? [m.userPrincipalName] : [])],
    fingerprint: m.displayName,
    removable: false,
  }));
}

/**
 * Lists what each grant type holds in the cloud, profile by profile, and judges every object
 * against one fresh look at the store. A listing error drops that whole grant type from this pass:
 * a partial or failed listing must never read as "nothing there", nor as "everything is orphaned".
 */
export async function takeInventory(deps: InventoryDeps, now: Date): Promise<Inventory> {
  const byType = new Map<GrantType, Profile[]>();
  for (const profile of policyParts(deps.policy)) {
    byType.set(profile.grant.type, [...(byType.get(profile.grant.type) ?? []), profile]);
  }
  const inventory: Inventory = { judged: [], listed: new Set(), failed: [] };
  for (const [type, profiles] of byType) {
    const found: { profile: Profile; objects: OwnedObject[] }[] = [];
    try {
      for (const profile of profiles) {
        const objects = await listFor(type, profile, deps);
        if (objects) found.push({ profile, objects });
      }
    } catch (error) {
      inventory.failed.push(type);
      deps.logger.warn(
        { provider: type, err: failureText(error) },
        "listing what jitbot created failed; this grant type is skipped until the next pass",
      );
      continue;
    }
    for (const { profile, objects } of found) {
      inventory.listed.add(profile.id);
      const evidence = await evidenceFor(deps, profile, objects, now, ROLLBACK_WINDOW_MS);
      const target = targetOf(profile);
      for (const object of objects)
        inventory.judged.push({ profile, object, verdict: judge(object, target, evidence) });
    }
  }
  return inventory;
}

/** The operator-facing sentence of a provider error, else the message: for logs, never for Slack. */
export function failureText(error: unknown): string {
  if (isProviderError(error)) return error.userMessage;
  return error instanceof Error ? error.message : String(error);
}
