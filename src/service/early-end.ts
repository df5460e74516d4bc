import { DomainError } from "../domain/errors.js";
import { earlyEndAnswer } from "../domain/messages.js";
import { checkApprover, findProfile, type Person } from "../domain/policy.js";
import type { AccessRequest, EarlyEnd } from "../domain/request.js";
import type { ServiceDeps } from "./access-service.js";

/** What an early end did, and the sentence for whoever asked (none when the DM says it all). */
export interface EarlyEndAnswer {
  outcome: EarlyEnd;
  answer: string | undefined;
}

/**
 * The requester withdraws a request: a pending one is cancelled; an approved one is cancelled if
 * its grant has not started, else revoked the moment its grant completes.
 */
export async function cancelRequest(deps: ServiceDeps, requestId: string, userId: string): Promise<EarlyEndAnswer> {
  const { store, clock, notifier } = deps;
  const request = await store.requests.mustGet(requestId);
  if (request.requesterId !== userId) throw new DomainError("NOT_YOUR_REQUEST");
  if (request.status === "approved") return endEarly(deps, request, userId);
  const cancelled = await store.requests.transition({
    id: requestId,
    from: "pending",
    event: "cancel",
    at: clock.now(),
    actor: userId,
  });
  const profile = findProfile(deps.policy, request.profileId);
  if (profile) await notifier.requestClosed(cancelled, profile);
  return { outcome: "cancelled", answer: undefined };
}

/**
 * Ends a grant early: the requester, or an approver of its profile. Any id of an extension chain
 * ends the root grant. A grant still in flight is revoked the moment it completes.
 */
export async function revokeGrant(deps: ServiceDeps, requestId: string, person: Person): Promise<EarlyEndAnswer> {
  const request = await deps.store.requests.mustGet(requestId);
  const profile = findProfile(deps.policy, request.profileId);
  const isApprover = profile && !checkApprover(profile, "", person);
  if (request.requesterId !== person.id && !isApprover) throw new DomainError("NOT_YOUR_REQUEST");
  if (request.status !== "active" && request.status !== "approved")
    throw new DomainError("INVALID_TRANSITION", { from: request.status, event: "revoke" });
  return endEarly(deps, await deps.store.requests.rootOf(requestId), person.id);
}

async function endEarly(deps: ServiceDeps, request: AccessRequest, userId: string): Promise<EarlyEndAnswer> {
  const outcome = await deps.engine.endEarly(request.id, userId);
  if (!outcome) {
    const now = await deps.store.requests.mustGet(request.id);
    throw new DomainError("INVALID_TRANSITION", { from: now.status, event: "revoke" });
  }
  const profile = findProfile(deps.policy, request.profileId);
  if (outcome === "cancelled" && profile) {
    await deps.notifier.requestClosed(await deps.store.requests.mustGet(request.id), profile, userId);
  }
  return { outcome, answer: earlyEndAnswer(outcome, request.id) };
}

/** Fresh credentials for the requester's own active grant (STS sessions shorter than the grant). */
export async function refreshGrant(deps: ServiceDeps, requestId: string, userId: string): Promise<void> {
  const request = await deps.store.requests.mustGet(requestId);
  if (request.requesterId !== userId) throw new DomainError("NOT_YOUR_REQUEST");
  if (request.status !== "active")
    throw new DomainError("INVALID_TRANSITION", { from: request.status, event: "refresh" });
  await deps.engine.refresh(requestId);
}
