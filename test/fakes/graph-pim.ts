/**
 * PIM for Groups assignment schedule requests in the fake Graph, with the group's PIM policy and the
 * documented assignment limits (graph-directory.ts holds the tenant and dispatches).
 *
 * Sources:
 * - REQUEST = https://learn.microsoft.com/en-us/graph/api/privilegedaccessgroup-post-assignmentschedulerequests
 *   (actions adminAssign, adminExtend, adminRemove; "201 Created" with the request object).
 * - OVERVIEW = https://learn.microsoft.com/en-us/graph/api/resources/privilegedidentitymanagement-for-groups-api-overview.
 * - EXPIRATION = https://learn.microsoft.com/en-us/graph/api/resources/unifiedrolemanagementpolicyexpirationrule
 *   (isExpirationRequired, maximumDuration).
 * - ASSIGN = https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/groups-assign-member-owner
 *   (the five-minute floors).
 */
import { randomUUID } from "node:crypto";
import type { PrivilegedAccessGroupAssignmentScheduleRequest } from "@microsoft/microsoft-graph-types";
import type { GraphDirectory } from "./graph-directory.js";
import { GraphHttpError, type Reply } from "./graph-errors.js";
import { extendPimAssignment } from "./graph-lifetimes.js";
import type { FakePimRequest } from "./graph-listings.js";

const FIVE_MINUTES_MS = 5 * 60 * 1000;

export interface FakePimAssignment {
  groupId: string;
  principalId: string;
  accessId: string;
  duration: string;
  justification: string;
  ticketNumber?: string;
  startDateTime: string;
  /** When PIM made it (fake time), for the five-minute removal floor. */
  assignedAt: number;
  /** Set by adminExtend: the assignment now ends here rather than after `duration`. */
  endDateTime?: string;
}

/** The Expiration_Admin_Assignment rule of a group's member policy (unifiedRoleManagementPolicyExpirationRule). */
export interface FakePimPolicy {
  isExpirationRequired: boolean;
  /** ISO 8601, e.g. P180D (the value PIM's own examples show for this rule). */
  maximumDuration: string;
}

export const DEFAULT_PIM_POLICY: FakePimPolicy = { isExpirationRequired: false, maximumDuration: "P180D" };

/** ISO 8601 duration (P…DT…H…M…S) in seconds; NaN when it is not one. */
export function isoSeconds(duration: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!m || duration === "P" || duration.endsWith("T")) return Number.NaN;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}

/**
 * The refusal PIM gives when a request breaks the group's policy: 400
 * RoleAssignmentRequestPolicyValidationFailed naming the failed rules (the shape reported in
 * MicrosoftDocs/azure-docs#80426 and hashicorp/terraform-provider-azuread#1450).
 */
function policyFailed(rules: string[]): GraphHttpError {
  return new GraphHttpError(
    400,
    "RoleAssignmentRequestPolicyValidationFailed",
    `The following policy rules failed: ${JSON.stringify(rules)}`,
  );
}

export function pimRequest(dir: GraphDirectory, body: PrivilegedAccessGroupAssignmentScheduleRequest): Reply {
  const groupId = body.groupId ?? "";
  const principalId = body.principalId ?? "";
  const accessId = body.accessId ?? "";
  const group = dir.group(groupId);
  const key = `${groupId}|${principalId}|${accessId}`;
  if (body.action === "adminAssign") {
    // REQUEST: assigning what is already assigned is refused (RoleAssignmentExists).
    if (dir.pimAssignments.has(key))
      throw new GraphHttpError(400, "RoleAssignmentExists", "The Role assignment already exists.");
    const duration = body.scheduleInfo?.expiration?.duration ?? "";
    const seconds = isoSeconds(duration);
    const policy = dir.pimPolicies.get(groupId) ?? DEFAULT_PIM_POLICY;
    // EXPIRATION: maximumDuration bounds every assignment that isn't permanent; isExpirationRequired
    // forbids permanent ones. ASSIGN: an assignment "can't be assigned for a duration of less than
    // five minutes".
    const permanent = body.scheduleInfo?.expiration?.type === "noExpiration";
    if (permanent ? policy.isExpirationRequired : !(seconds >= 300 && seconds <= isoSeconds(policy.maximumDuration))) {
      throw policyFailed(["ExpirationRule"]);
    }
    dir.pimAssignments.set(key, {
      groupId,
      principalId,
      accessId,
      duration,
      justification: body.justification ?? "",
      ...(body.ticketInfo?.ticketNumber ? { ticketNumber: body.ticketInfo.ticketNumber } : {}),
      startDateTime: body.scheduleInfo?.startDateTime ?? new Date(dir.now()).toISOString(),
      assignedAt: dir.now(),
    });
    // OVERVIEW: an active PIM member assignment shows as a direct member of the group ("the
    // principal's details are … added to the members … relationships").
    if (accessId === "member") group.add(principalId);
  } else if (body.action === "adminExtend") {
    extendPimAssignment(dir.pimAssignments.get(key), (body.scheduleInfo ?? {}) as object);
  } else if (body.action === "adminRemove") {
    const assignment = dir.pimAssignments.get(key);
    if (!assignment) throw new GraphHttpError(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.");
    // ASSIGN: an assignment "can't be removed within five minutes of it being assigned"; PIM answers
    // with the ActiveDurationTooShort shape it uses for directory roles.
    if (dir.now() - assignment.assignedAt < FIVE_MINUTES_MS) {
      throw new GraphHttpError(
        400,
        "ActiveDurationTooShort",
        "The Active duration is too short. Miniumum Required is 5 minutes.",
      );
    }
    dir.remove(() => {
      dir.pimAssignments.delete(key);
      if (accessId === "member") group.delete(principalId);
    });
  } else {
    throw new GraphHttpError(400, "InvalidAction", `Unsupported action ${String(body.action)}.`);
  }
  const request: FakePimRequest = {
    id: randomUUID(),
    action: String(body.action),
    groupId,
    principalId,
    accessId,
    justification: body.justification ?? "",
    status: "Provisioned",
    createdDateTime: new Date(dir.now() + dir.pimRequests.length).toISOString(),
  };
  dir.pimRequests.push(request);
  return { status: 201, body: { ...body, ...request } };
}
