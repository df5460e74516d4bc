import { formatDuration } from "../config/duration.js";
import { grantTypesOf } from "../domain/bundle.js";
import { checkExtensionTotal } from "../domain/extension.js";
import { domainMessage } from "../domain/messages.js";
import { findProfile } from "../domain/policy.js";
import type { GrantRecord } from "../domain/request.js";
import type { EngineDeps } from "./engine.js";
import { type ConnectInstructions, canExtend } from "./provider.js";
import { activeGrantOf, type ProviderCalls } from "./provider-calls.js";
import { providerFor } from "./registry.js";

export type ExtendResult =
  | { ok: true; grant: GrantRecord; instructions?: ConnectInstructions }
  | { ok: false; reason: string };

/**
 * Applies an approved extension: the provider moves the end the cloud enforces first (a PIM
 * assignment's expiration, a secret's end date, an STS session), then jitbot moves its own. When
 * the provider cannot, nothing moves and the person is told why: the original end stands.
 */
export class GrantExtender {
  /** Per grant, the extension being applied: the next one starts from the end it leaves. */
  private readonly running = new Map<string, Promise<ExtendResult>>();

  constructor(
    private readonly deps: EngineDeps,
    private readonly calls: ProviderCalls,
  ) {}

  extend(rootId: string, addSeconds: number, actor: string, byRequestId: string): Promise<ExtendResult> {
    const before = this.running.get(rootId) ?? Promise.resolve(undefined);
    // Across replicas too: two extensions approved on two replicas at once must not both start from
    // the old end (one would be lost). The store's lock spans every replica on the database.
    const applyOnce = () =>
      this.deps.store.exclusive(`grant-extend:${rootId}`, () => this.apply(rootId, addSeconds, actor, byRequestId));
    // A failure of the one before must neither skip this one nor surface twice (or unhandled).
    const next = before.then(applyOnce, applyOnce);
    this.running.set(rootId, next);
    const forget = () => {
      if (this.running.get(rootId) === next) this.running.delete(rootId);
    };
    next.then(forget, forget);
    return next;
  }

  private async apply(rootId: string, addSeconds: number, actor: string, byRequestId: string): Promise<ExtendResult> {
    const { store, clock, providers, policy } = this.deps;
    const now = clock.now();
    const grant = await store.grants.get(rootId);
    const ended = {
      ok: false as const,
      reason: `The grant ${rootId} had already ended, so this extension could not be applied; request the profile again.`,
    };
    if (grant?.status !== "active" || grant.endReason || grant.expiresAt <= now) return ended;
    const request = await store.requests.mustGet(rootId);
    const profile = findProfile(policy, request.profileId);
    if (!profile) return { ok: false, reason: `Profile ${request.profileId} is no longer in the policy.` };
    const unchanged = `Your access ${rootId} still ends at ${grant.expiresAt.toISOString()}.`;
    // Checked again here: several extensions may have been filed (and approved) before any applied.
    const overTotal = checkExtensionTotal(profile, grant, request.durationSeconds, addSeconds);
    if (overTotal) return { ok: false, reason: `${domainMessage(overTotal)} ${unchanged}` };
    const provider = providerFor(providers, profile);
    if (!provider || !canExtend(provider)) {
      return {
        ok: false,
        reason: `jitbot cannot move the end that ${grantTypesOf(profile)} enforces, so it cannot extend this grant. ${unchanged}`,
      };
    }
    const expiresAt = new Date(grant.expiresAt.getTime() + addSeconds * 1000);
    let outcome: Awaited<ReturnType<typeof provider.extend>>;
    try {
      outcome = await this.calls.timed(provider.type, "extend", () =>
        provider.extend(activeGrantOf(grant, request, profile), expiresAt, now),
      );
    } catch (error) {
      const sentence = this.calls.explain(error, { requestId: rootId, verb: "extend" });
      return { ok: false, reason: `${sentence} ${unchanged}` };
    }
    const moved = await store.grants.extend(rootId, expiresAt, clock.now(), actor, byRequestId, {
      state: outcome.state,
      providerExpiresAt: outcome.providerExpiresAt,
      detail: outcome.detail,
    });
    if (!moved) {
      // Revoked or expired while the provider worked: its revoke takes away what was extended, and
      // new credentials (if any) are dropped here, never sent.
      this.deps.logger.warn({ requestId: rootId, by: byRequestId }, "the grant ended while its extension was applied");
      return ended;
    }
    this.deps.logger.info(
      { requestId: rootId, by: byRequestId, added: formatDuration(addSeconds), expiresAt: expiresAt.toISOString() },
      "grant extended",
    );
    return { ok: true, grant: (await store.grants.get(rootId)) as GrantRecord, instructions: outcome.instructions };
  }
}
