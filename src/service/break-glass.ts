import type { Profile } from "../config/schema.js";
import { DomainError } from "../domain/errors.js";
import { checkApprover, type Person } from "../domain/policy.js";
import type { AccessRequest } from "../domain/request.js";
import type { ServiceDeps } from "./access-service.js";
import type { Directory } from "./ports.js";

/**
 * Everyone who may confirm a break glass on `profile`: its approver users and the members of its
 * approver user groups, less the requester (who can never confirm their own).
 */
export async function approversOf(directory: Directory, profile: Profile, requesterId: string): Promise<string[]> {
  const people = new Set(profile.approval.approvers.users);
  for (const group of profile.approval.approvers.slackUserGroups) {
    for (const member of await directory.membersOf(group)) people.add(member);
  }
  people.delete(requesterId);
  return [...people];
}

/**
 * A break glass just filed: approved at once by the requester's own hand (the audit says so), the
 * approval channel and every approver told, and the grant started. The grant's due time is the
 * confirmation deadline until an approver confirms (store/grants.ts, dueAtFor).
 */
export async function grantBreakGlass(
  deps: ServiceDeps,
  request: AccessRequest,
  profile: Profile,
): Promise<AccessRequest> {
  const { store, clock, notifier, engine, directory } = deps;
  const approved = await store.requests.transition({
    id: request.id,
    from: "pending",
    event: "approve",
    at: clock.now(),
    actor: request.requesterId,
    note: "break glass",
    detail: { breakGlass: true, confirmBy: request.breakGlass?.confirmBy.toISOString() ?? null },
  });
  const posted = await notifier.breakGlassUsed(
    approved,
    profile,
    await approversOf(directory, profile, request.requesterId),
  );
  if (posted.approval) await store.requests.setApprovalMessage(request.id, posted.approval.channel, posted.approval.ts);
  if (posted.receipt) await store.requests.setReceipt(request.id, posted.receipt.channel, posted.receipt.ts);
  engine.grantInBackground(await store.requests.mustGet(request.id));
  return store.requests.mustGet(request.id);
}

/**
 * An approver vouches for a break glass: the grant then runs to its own end. The requester cannot
 * (even where selfApproval is on: confirming is the second pair of eyes), nor can anyone who is not
 * an approver of the profile. Refusals are DomainErrors for an ephemeral answer.
 */
export async function confirmBreakGlass(
  deps: ServiceDeps,
  requestId: string,
  confirmer: Person,
  profileOf: (id: string) => Profile | undefined,
): Promise<AccessRequest> {
  const { store, clock, notifier, engine } = deps;
  const request = await store.requests.mustGet(requestId);
  if (!request.breakGlass) throw new DomainError("NOT_BREAK_GLASS", { id: requestId });
  if (confirmer.id === request.requesterId) throw new DomainError("BREAK_GLASS_OWN");
  const profile = profileOf(request.profileId);
  if (!profile) throw new DomainError("PROFILE_NOT_FOUND", { id: request.profileId });
  const refusal = checkApprover(profile, request.requesterId, confirmer);
  if (refusal) throw refusal;
  const confirmed = await store.breakGlass.confirm({ requestId, approverId: confirmer.id, at: clock.now() });
  engine.scheduleChanged();
  await notifier.breakGlassConfirmed(confirmed, profile);
  return confirmed;
}
