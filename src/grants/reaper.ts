import type { Policy, Profile } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import type { CloudFinding, Logger, Notifier } from "../service/ports.js";
import type { Store } from "../store/index.js";
import { failureText, type Judged, ROLLBACK_WINDOW_MS, takeInventory } from "./inventory.js";
import { evidenceFor } from "./orphan-evidence.js";
import { judge } from "./orphan-verdict.js";
import { canFindOrphans, targetOf } from "./orphans.js";
import type { ProviderRegistry } from "./registry.js";

/** Removals per pass: a bug or a surprise in the cloud costs at most this many objects per pass. */
export const MAX_REMOVALS_PER_PASS = 25;

export interface ReaperDeps {
  store: Store;
  policy: Policy;
  providers: ProviderRegistry;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  maxRemovalsPerPass?: number;
}

export interface ReapOutcome {
  removed: number;
  /** Orphans left for the next pass because the bound was reached. */
  deferred: number;
  failed: number;
  /** Grant types skipped because their listing failed. */
  skippedTypes: string[];
}

/**
 * The orphan reaper: finds what jitbot created in the cloud that no live grant explains (a grant
 * call that landed after its roll-back, a revoke that half-happened) and removes it, with an audit
 * row and a message to the profile's channel. What it cannot prove it made is left to the drift
 * report. Safe by construction: listing errors skip the grant type, each removal is re-judged
 * against a fresh look at the store just before it, and a pass removes at most a bounded number.
 */
export class Reaper {
  constructor(private readonly deps: ReaperDeps) {}

  async run(): Promise<ReapOutcome> {
    const { clock, logger } = this.deps;
    const inventory = await takeInventory(this.deps, clock.now());
    const outcome: ReapOutcome = { removed: 0, deferred: 0, failed: 0, skippedTypes: inventory.failed };
    let budget = this.deps.maxRemovalsPerPass ?? MAX_REMOVALS_PER_PASS;
    const done = new Set<string>();
    const announced = new Map<Profile, CloudFinding[]>();
    for (const found of inventory.judged) {
      const id = `${found.profile.grant.type}|${found.object.key}`;
      if (found.verdict.kind !== "orphan" || done.has(id)) continue;
      done.add(id);
      if (budget <= 0) {
        outcome.deferred++;
        continue;
      }
      budget--;
      try {
        const removed = await this.remove(found);
        if (removed) {
          outcome.removed++;
          announced.set(found.profile, [...(announced.get(found.profile) ?? []), removed]);
        }
      } catch (error) {
        outcome.failed++;
        logger.warn(
          { profile: found.profile.id, object: found.object.key, err: failureText(error) },
          "could not remove an orphan; the next pass tries again",
        );
      }
    }
    for (const [profile, removed] of announced) await this.deps.notifier.orphansRemoved(profile, removed);
    if (outcome.removed || outcome.deferred || outcome.failed) logger.info({ ...outcome }, "orphan reaper pass");
    return outcome;
  }

  /** Removes one orphan if it still is one; returns what to announce, undefined if nothing changed. */
  private async remove({ profile, object }: Judged): Promise<CloudFinding | undefined> {
    const { store, clock, providers } = this.deps;
    const provider = providers.get(profile.grant.type);
    if (!provider || !canFindOrphans(provider)) return undefined;
    // The listing may be seconds old: a grant that started since must protect what it relies on.
    const evidence = await evidenceFor(this.deps, profile, [object], clock.now(), ROLLBACK_WINDOW_MS);
    const verdict = judge(object, targetOf(profile), evidence);
    if (verdict.kind !== "orphan") return undefined;
    const detail = await provider.removeOrphan(profile, object);
    if (detail === undefined) return undefined;
    await store.audit({
      at: clock.now(),
      actor: "jitbot",
      action: "orphan.removed",
      requestId: verdict.requestId,
      detail: { profile: profile.id, object: object.description, key: object.key, why: verdict.why, result: detail },
    });
    this.deps.logger.info(
      { profile: profile.id, requestId: verdict.requestId, object: object.key },
      "orphan removed from the cloud",
    );
    return { description: object.description, why: verdict.why, requestId: verdict.requestId };
  }
}
