import type { Profile } from "../config/schema.js";
import { DomainError } from "../domain/errors.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { Store } from "../store/index.js";
import type { ServiceDeps } from "./access-service.js";

/**
 * The active grant an extension request extends: the root of the chain, whatever id the form
 * carried (it is only a hint from the client). Refuses anyone else's or an ended one.
 */
export function extensionTarget(store: Store, requestId: string, userId: string, profile: Profile): AccessRequest {
  const named = store.requests.mustGet(requestId);
  if (named.requesterId !== userId) throw new DomainError("NOT_YOUR_REQUEST");
  const root = store.requests.rootOf(requestId);
  if (root.requesterId !== userId) throw new DomainError("NOT_YOUR_REQUEST");
  if (root.status !== "active" || root.profileId !== profile.id || !profile.extension) {
    throw new DomainError("EXTENSION_NOT_ALLOWED");
  }
  return root;
}

/**
 * An approved extension moves its root grant's end and never grants anything of its own: with no
 * live root grant it fails and the requester is told. Anything else is a new grant.
 */
export async function applyApproved(deps: ServiceDeps, request: AccessRequest, profile: Profile): Promise<void> {
  const { store, clock, notifier, engine } = deps;
  if (!request.extendsRequestId) {
    engine.grantInBackground(request);
    return;
  }
  const rootId = store.requests.rootOf(request.extendsRequestId).id;
  const root = store.grants.get(rootId);
  const expiresAt = root && new Date(root.expiresAt.getTime() + request.durationSeconds * 1000);
  const extended =
    expiresAt !== undefined && store.grants.extend(rootId, expiresAt, clock.now(), request.requesterId, request.id);
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
    await notifier.grantExtended(store.requests.mustGet(rootId), profile, store.grants.get(rootId) as GrantRecord);
  } else {
    const reason = `The grant ${rootId} ended before this extension could be applied; request the profile again.`;
    await notifier.grantFailed(store.requests.mustGet(request.id), profile, reason, { rolledBack: true });
  }
}
