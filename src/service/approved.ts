import type { Profile } from "../config/schema.js";
import { DomainError } from "../domain/errors.js";
import { checkExtensionTotal, extensionRoomSeconds } from "../domain/extension.js";
import type { AccessRequest } from "../domain/request.js";
import type { Store } from "../store/index.js";
import type { ServiceDeps } from "./access-service.js";

/**
 * The active grant an extension request extends: the root of the chain, whatever id the form
 * carried (it is only a hint from the client). Refuses anyone else's or an ended one.
 */
export async function extensionTarget(
  store: Store,
  requestId: string,
  userId: string,
  profile: Profile,
): Promise<AccessRequest> {
  const named = await store.requests.mustGet(requestId);
  if (named.requesterId !== userId) throw new DomainError("NOT_YOUR_REQUEST");
  const root = await store.requests.rootOf(requestId);
  if (root.requesterId !== userId) throw new DomainError("NOT_YOUR_REQUEST");
  if (root.status !== "active" || root.profileId !== profile.id || !profile.extension) {
    throw new DomainError("EXTENSION_NOT_ALLOWED");
  }
  return root;
}

/** Over extension.max, or over what extension.maxTotal still leaves for this grant. */
export async function extensionRefusal(
  store: Store,
  root: AccessRequest,
  profile: Profile,
  wanted: number,
): Promise<DomainError | undefined> {
  if (profile.extension?.max !== undefined && wanted > profile.extension.max) {
    return new DomainError("DURATION_OVER_CAP", { max: profile.extension.max });
  }
  const grant = await store.grants.get(root.id);
  return grant ? checkExtensionTotal(profile, grant, root.durationSeconds, wanted) : undefined;
}

/** Seconds an extension of `requestId`'s grant may still ask for (extension.max and maxTotal). */
export async function extensionRoom(store: Store, requestId: string, profile: Profile): Promise<number> {
  const root = await store.requests.rootOf(requestId);
  const grant = await store.grants.get(root.id);
  const cap = profile.extension?.max ?? profile.duration.max;
  return grant ? Math.min(cap, extensionRoomSeconds(profile, grant, root.durationSeconds)) : 0;
}

/**
 * An approved extension moves its root grant's end and never grants anything of its own: the
 * provider moves the end the cloud enforces first, then jitbot its own. When either cannot (the
 * grant ended, extension.maxTotal, the provider refused), it fails and the requester is told that
 * the original end stands. Anything else is a new grant.
 */
export async function applyApproved(deps: ServiceDeps, request: AccessRequest, profile: Profile): Promise<void> {
  const { store, clock, notifier, engine } = deps;
  if (!request.extendsRequestId) {
    engine.grantInBackground(request);
    return;
  }
  const rootId = (await store.requests.rootOf(request.extendsRequestId)).id;
  const result = await engine.extend(rootId, request.durationSeconds, request.requesterId, request.id);
  await store.requests.transition({
    id: request.id,
    from: "approved",
    event: result.ok ? "activate" : "fail",
    at: clock.now(),
    actor: "jitbot",
    note: result.ok ? undefined : result.reason,
  });
  if (!result.ok) {
    await notifier.grantFailed(await store.requests.mustGet(request.id), profile, result.reason, { rolledBack: true });
    return;
  }
  engine.scheduleChanged();
  const root = await store.requests.mustGet(rootId);
  const dm = await notifier.grantExtended(root, profile, result.grant, result.instructions);
  if (dm && result.instructions) {
    await store.grants.recordDm(
      rootId,
      dm.channel,
      dm.ts,
      result.instructions.sections.some((s) => s.secret),
    );
  }
}
