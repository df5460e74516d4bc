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
    try {
      for (const member of await directory.membersOf(group)) people.add(member);
    } catch {
      // Slack could not list the group: its members miss only their DM, the channel's
      // <!subteam^…> mention still pings them, and the access must not wait on it.
    }
  }
  people.delete(requesterId);
  return [...people];
}

/**
 * A break glass just filed (the store approved it with the filing, by the requester's own hand):
 * the grant started, then the approval channel and every approver told. The grant's due time is the
 * confirmation deadline until an approver confirms (store/grants.ts, dueAtFor).
 */
export async function grantBreakGlass(
  deps: ServiceDeps,
  request: AccessRequest,
  profile: Profile,
): Promise<AccessRequest> {
  const { store, notifier, engine, directory } = deps;
  // Access first: telling every approver takes a Slack call each, and the incident will not wait.
  // Until its ts is stored the channel message shows the same buttons whether granting or granted.
  engine.grantInBackground(request);
  const approvers = await approversOf(directory, profile, request.requesterId);
  const posted = await notifier.breakGlassUsed(request, profile, approvers);
  if (posted.approval) await store.requests.setApprovalMessage(request.id, posted.approval.channel, posted.approval.ts);
  if (posted.receipt) await store.requests.setReceipt(request.id, posted.receipt.channel, posted.receipt.ts);
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
  /** The channel message clicked: known before its ts is stored when the click beats that write. */
  clicked?: { channel: string; ts: string },
): Promise<AccessRequest> {
  const { store, clock, notifier, engine } = deps;
  const request = await store.requests.mustGet(requestId);
  if (!request.breakGlass) throw new DomainError("NOT_BREAK_GLASS", { id: requestId });
  if (confirmer.id === request.requesterId) throw new DomainError("BREAK_GLASS_OWN");
  const profile = profileOf(request.profileId);
  if (!profile) throw new DomainError("PROFILE_NOT_FOUND", { id: request.profileId });
  const refusal = checkApprover(profile, request.requesterId, confirmer);
  if (refusal) throw refusal;
  if (!request.approvalTs && clicked?.channel === profile.approval.channel) {
    await store.requests.setApprovalMessage(requestId, clicked.channel, clicked.ts);
  }
  const confirmed = await store.breakGlass.confirm({ requestId, approverId: confirmer.id, at: clock.now() });
  engine.scheduleChanged();
  await notifier.breakGlassConfirmed(confirmed, profile);
  return confirmed;
}
