import type { Profile } from "../../config/schema.js";
import { isProviderError } from "../errors.js";
import type { OrphanFinder, OwnedObject } from "../orphans.js";
import { extendOwnTimer } from "../own-timer.js";
import type {
  ActiveGrant,
  Extender,
  ExtendOutcome,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  MemberLister,
  ReadBack,
  RevokeOutcome,
  RevokeReader,
} from "../provider.js";
import type { ReadCoalescer } from "./coalesce.js";
import { userInstructions } from "./connect.js";
import { type EntraContext, stateString } from "./context.js";
import { findEntraUser } from "./identity.js";
import { membershipReads } from "./member-reads.js";
import { addMember, groupIdOf, isDirectMember, memberLister, removeMember, revokeSignInSessions } from "./members.js";
import { listGroupMembers, removeGroupMember } from "./orphans.js";
import { readBackMembership } from "./read-back.js";

/**
 * entra-group: the person's Entra user joins the group the cluster's RoleBinding names, and leaves it
 * at the end — unless they were a member before (standing access), which we record and leave alone.
 */
export class EntraGroupProvider implements GrantProvider, Extender, MemberLister, OrphanFinder, RevokeReader {
  readonly type = "entra-group" as const;
  /**
   * Whether this process already granted a request, and whether that person was a standing member.
   * A repeated grant() sees the membership it made itself and must not mistake it for standing access.
   */
  private readonly granted = new Map<string, boolean>();
  private readonly lister: MemberLister;
  /** Read-backs of revokes of one group that end together share one Graph call. */
  private readonly reads: ReadCoalescer<string>;

  constructor(private readonly ctx: EntraContext) {
    this.lister = memberLister(ctx.client);
    this.reads = membershipReads(ctx.client, ctx.clock, ctx.graphBaseUrl, ctx.throttle);
  }

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    const groupId = groupIdOf(request.profile);
    const user = await findEntraUser(this.ctx.client, request.subject.email, request.profile, this.ctx.policy);
    let standingMember = this.granted.get(request.requestId);
    if (standingMember === undefined) {
      standingMember = await isDirectMember(this.ctx.client, groupId, user.id);
      if (!standingMember) await addMember(this.ctx.client, groupId, user.id, this.ctx.graphBaseUrl);
      this.granted.set(request.requestId, standingMember);
    }
    if (standingMember) {
      this.ctx.logger.warn(
        { requestId: request.requestId, groupId, userId: user.id },
        "requester was already a member of the group; the membership will be left in place at the end",
      );
    }
    return {
      state: { userId: user.id, userPrincipalName: user.userPrincipalName, groupId, standingMember },
      instructions: userInstructions(request, this.ctx.policy, `You are a member of Entra group ${groupId}`, {
        standingMember,
      }),
    };
  }

  /** The membership has no end in Entra: jitbot's timer is the end, so only jitbot's moves. */
  async extend(grant: ActiveGrant, expiresAt: Date): Promise<ExtendOutcome> {
    return extendOwnTimer(grant, expiresAt, "The group membership");
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const groupId = stateString(grant.state, "groupId") ?? groupIdOf(grant.profile);
    this.granted.delete(grant.requestId);
    const userId = stateString(grant.state, "userId") ?? (await rollbackTarget(this.ctx, grant));
    if (!userId) return { detail: "nothing was granted, so nothing to remove" };
    if (grant.state.standingMember === true) {
      return { detail: `standing member of group ${groupId}; left in place` };
    }
    // Its read-back follows: reads of this group wait for it (briefly) so both go in one call.
    this.reads.expect(groupId, grant.requestId);
    let removed: boolean;
    try {
      removed = await removeMember(this.ctx.client, groupId, userId);
    } catch (error) {
      this.reads.forget(groupId, grant.requestId);
      throw error;
    }
    const detail = removed ? `removed from group ${groupId}` : `was no longer a member of group ${groupId}`;
    return { detail: await endSessions(this.ctx, grant, userId, detail) };
  }

  readBack(grant: ActiveGrant): Promise<ReadBack> {
    return readBackMembership(this.ctx, grant, (groupId, userId) => this.reads.ask(groupId, userId, grant.requestId));
  }

  listMembers(profile: Profile) {
    return this.lister.listMembers(profile);
  }

  listOwned(profile: Profile): Promise<OwnedObject[]> {
    return listGroupMembers(this.ctx.client, profile);
  }

  removeOrphan(profile: Profile, object: OwnedObject): Promise<string | undefined> {
    return removeGroupMember(this.ctx.client, profile, object);
  }
}

/**
 * A grant interrupted before its state was stored may have added the person: find them so the
 * membership can be removed — unless the profile lists them as a standing member.
 */
export async function rollbackTarget(ctx: EntraContext, grant: ActiveGrant): Promise<string | undefined> {
  if (grant.state.rollback !== true || !grant.subject.email) return undefined;
  let user: { id: string; userPrincipalName?: string };
  try {
    user = await findEntraUser(ctx.client, grant.subject.email, grant.profile, ctx.policy);
  } catch (error) {
    if (isProviderError(error) && error.code === "IDENTITY_NOT_FOUND") return undefined;
    throw error;
  }
  const standing = new Set(grant.profile.standingMembers.map((m) => m.toLowerCase()));
  const keys = [user.id, user.userPrincipalName ?? "", grant.subject.email].map((k) => k.toLowerCase());
  return keys.some((k) => standing.has(k)) ? undefined : user.id;
}

/**
 * entra.revokeSessionsOnExpiry: stop refresh tokens too. A failure here does not undo the revoke
 * (the membership is gone); it is logged and named in the audit detail.
 */
export async function endSessions(
  ctx: EntraContext,
  grant: ActiveGrant,
  userId: string,
  detail: string,
): Promise<string> {
  if (!ctx.policy.entra.revokeSessionsOnExpiry) return detail;
  try {
    await revokeSignInSessions(ctx.client, userId);
    return `${detail}; sign-in sessions revoked`;
  } catch (error) {
    const reason = isProviderError(error) ? error.userMessage : "unexpected error";
    ctx.logger.warn({ requestId: grant.requestId, userId, reason }, "could not revoke sign-in sessions");
    return `${detail}; sign-in sessions NOT revoked: ${reason}`;
  }
}
