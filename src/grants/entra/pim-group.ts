import type { PrivilegedAccessGroupAssignmentScheduleRequest } from "@microsoft/microsoft-graph-types";
import { toIsoDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import { ProviderError } from "../errors.js";
import type { OrphanFinder, OwnedObject } from "../orphans.js";
import type {
  ActiveGrant,
  Extender,
  ExtendOutcome,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  MemberLister,
  ReadBack,
  RequestChecker,
  RevokeOutcome,
  RevokeReader,
} from "../provider.js";
import { userInstructions } from "./connect.js";
import { type EntraContext, stateString } from "./context.js";
import { graphCallTolerating, isAlreadyExists, isDoesNotExist, toProviderError } from "./errors.js";
import { endSessions, rollbackTarget } from "./group.js";
import { findEntraUser } from "./identity.js";
import { groupIdOf, memberLister } from "./members.js";
import { listPimAssignments, removePimAssignment } from "./orphans.js";
import { readBackPimAssignment } from "./read-back.js";
import { checkPimRequest } from "./validate.js";

const SCHEDULE_REQUESTS = "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests";
const PIM_PERMISSION = "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup";

/**
 * entra-pim-group: a PIM for Groups membership assignment that Entra itself ends (afterDuration), so
 * the access stops even if jitbot is down; jitbot's revoke is the second line (adminRemove).
 */
export class EntraPimGroupProvider
  implements GrantProvider, Extender, MemberLister, RequestChecker, OrphanFinder, RevokeReader
{
  readonly type = "entra-pim-group" as const;
  private readonly lister: MemberLister;

  constructor(private readonly ctx: EntraContext) {
    this.lister = memberLister(ctx.client);
  }

  checkRequest(profile: Profile, durationSeconds: number): string | undefined {
    return checkPimRequest(profile, durationSeconds);
  }

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    const groupId = groupIdOf(request.profile);
    const user = await findEntraUser(this.ctx.client, request.subject.email, request.profile, this.ctx.policy);
    const body: PrivilegedAccessGroupAssignmentScheduleRequest = {
      accessId: "member",
      principalId: user.id,
      groupId,
      action: "adminAssign",
      justification: `${request.justification} (jitbot ${request.requestId})`,
      scheduleInfo: {
        startDateTime: request.startsAt.toISOString(),
        expiration: { type: "afterDuration", duration: toIsoDuration(request.durationSeconds) },
      },
      ...(request.ticket ? { ticketInfo: { ticketNumber: request.ticket, ticketSystem: "jitbot" } } : {}),
    };
    // RoleAssignmentExists: this request (or an earlier one) already holds it; granting again is a no-op.
    const created = await graphCallTolerating(
      { action: `assign ${user.userPrincipalName} to group ${groupId} through PIM`, permission: PIM_PERMISSION },
      isAlreadyExists,
      () =>
        this.ctx.client.api(SCHEDULE_REQUESTS).post(body) as Promise<PrivilegedAccessGroupAssignmentScheduleRequest>,
    );
    const providerExpiresAt = new Date(request.startsAt.getTime() + request.durationSeconds * 1000);
    return {
      state: {
        userId: user.id,
        userPrincipalName: user.userPrincipalName,
        groupId,
        scheduleRequestId: created?.id ?? null,
      },
      instructions: userInstructions(
        request,
        this.ctx.policy,
        `PIM assigned you as a member of Entra group ${groupId}; Entra ends it by itself`,
      ),
      providerExpiresAt,
    };
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const userId = stateString(grant.state, "userId") ?? (await rollbackTarget(this.ctx, grant));
    const groupId = stateString(grant.state, "groupId") ?? groupIdOf(grant.profile);
    if (!userId) return { detail: "nothing was granted, so nothing to remove" };
    // RoleAssignmentDoesNotExist: PIM already ended it (expiry) or an earlier revoke did. Within five
    // minutes of the assignment PIM refuses (ActiveDurationTooShort): a retryable error, see errors.ts.
    const remove: PrivilegedAccessGroupAssignmentScheduleRequest = {
      accessId: "member",
      principalId: userId,
      groupId,
      action: "adminRemove",
      justification: `jitbot: grant for request ${grant.requestId} ended`,
    };
    const removed = await graphCallTolerating(
      { action: `remove the PIM assignment of ${userId} to group ${groupId}`, permission: PIM_PERMISSION },
      isDoesNotExist,
      () =>
        this.ctx.client.api(SCHEDULE_REQUESTS).post(remove) as Promise<PrivilegedAccessGroupAssignmentScheduleRequest>,
    );
    const detail = removed
      ? `PIM assignment to group ${groupId} removed`
      : `PIM assignment to group ${groupId} had already ended`;
    return { detail: await endSessions(this.ctx, grant, userId, detail) };
  }

  readBack(grant: ActiveGrant): Promise<ReadBack> {
    return readBackPimAssignment(this.ctx, grant);
  }

  /**
   * PIM ends the membership itself at the assignment's expiration, so an extension must move that
   * expiration: `adminExtend` ("for administrators to extend expiring assignments", Create
   * assignmentScheduleRequest, Graph v1.0) with the new end. An assignment PIM already ended
   * cannot be extended (RoleAssignmentDoesNotExist); the group's PIM policy may refuse a longer one.
   */
  async extend(grant: ActiveGrant, expiresAt: Date, now: Date): Promise<ExtendOutcome> {
    const userId = stateString(grant.state, "userId");
    const groupId = stateString(grant.state, "groupId") ?? groupIdOf(grant.profile);
    if (!userId) {
      throw new ProviderError("INVALID_REQUEST", "jitbot does not know whose PIM assignment this grant made.");
    }
    const end = expiresAt.toISOString();
    try {
      await this.ctx.client.api(SCHEDULE_REQUESTS).post({
        accessId: "member",
        principalId: userId,
        groupId,
        action: "adminExtend",
        justification: `jitbot: request ${grant.requestId} extended until ${end}`,
        scheduleInfo: { startDateTime: now.toISOString(), expiration: { type: "afterDateTime", endDateTime: end } },
      });
    } catch (error) {
      if (isDoesNotExist(error)) {
        throw new ProviderError("NOT_FOUND", "PIM has already ended this assignment, so it cannot be extended.", {
          cause: error,
        });
      }
      throw toProviderError(error, {
        action: `extend the PIM assignment of ${userId} to group ${groupId}`,
        permission: PIM_PERMISSION,
      });
    }
    return {
      state: grant.state,
      providerExpiresAt: expiresAt,
      detail: `PIM assignment to group ${groupId} now ends at ${end}`,
    };
  }

  listMembers(profile: Profile) {
    return this.lister.listMembers(profile);
  }

  listOwned(profile: Profile): Promise<OwnedObject[]> {
    return listPimAssignments(this.ctx.client, profile);
  }

  removeOrphan(profile: Profile, object: OwnedObject): Promise<string | undefined> {
    return removePimAssignment(this.ctx.client, profile, object);
  }
}
