import type { Profile } from "../config/schema.js";
import { DomainError } from "../domain/errors.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { Store } from "../store/index.js";
import type { ServiceDeps } from "./access-service.js";

/** The active grant an extension request extends; refuses anyone else's or an ended one. */
export function extensionTarget(store: Store, requestId: string, userId: string, profile: Profile): AccessRequest {
  const original = store.requests.mustGet(requestId);
  if (original.requesterId !== userId) throw new DomainError("NOT_YOUR_REQUEST");
  if (original.status !== "active" || original.profileId !== profile.id || !profile.extension) {
    throw new DomainError("EXTENSION_NOT_ALLOWED");
  }
  return original;
}

/** An approved extension moves the original grant's end; anything else is a new grant. */
export async function applyApproved(deps: ServiceDeps, request: AccessRequest, profile: Profile): Promise<void> {
  const { store, clock, notifier, engine } = deps;
  const originalId = request.extendsRequestId;
  const original = originalId ? store.grants.get(originalId) : undefined;
  if (!originalId || !original || original.status !== "active") {
    engine.grantInBackground(request);
    return;
  }
  const expiresAt = new Date(original.expiresAt.getTime() + request.durationSeconds * 1000);
  const extended = store.grants.extend(originalId, expiresAt, clock.now(), request.requesterId, request.id);
  store.requests.transition({
    id: request.id,
    from: "approved",
    event: extended ? "activate" : "fail",
    at: clock.now(),
    actor: "jitbot",
    note: extended ? undefined : "the grant it extended had already ended",
  });
  if (extended) {
    engine.scheduleChanged();
    await notifier.grantExtended(
      store.requests.mustGet(originalId),
      profile,
      store.grants.get(originalId) as GrantRecord,
    );
  } else {
    const reason = `The grant ${originalId} ended before this extension could be applied; request the profile again.`;
    await notifier.grantFailed(store.requests.mustGet(request.id), profile, reason, { rolledBack: true });
  }
}
