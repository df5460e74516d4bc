import type { Client } from "@microsoft/microsoft-graph-client";
import type { ActiveGrant, ReadBack } from "../provider.js";
import { type EntraContext, stateString } from "./context.js";
import { type GraphOperation, graphCall, isNotFound } from "./errors.js";
import { rollbackTarget } from "./group.js";
import { groupIdOf } from "./members.js";

const PIM_INSTANCES = "/identityGovernance/privilegedAccess/group/assignmentScheduleInstances";
const PIM_PERMISSION = "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup";
const APPS = "Application.ReadWrite.OwnedBy";
/** A person holds few PIM assignments; more pages than this means something is wrong, not done. */
const MAX_PAGES = 20;

const gone = (detail: string): ReadBack => ({ status: "gone", detail });
const present = (detail: string): ReadBack => ({ status: "present", detail });

/** The user a revoke removed: from the state, or found again for a grant rolled back before it was stored. */
async function removedUser(ctx: EntraContext, grant: ActiveGrant): Promise<string | undefined> {
  return stateString(grant.state, "userId") ?? (await rollbackTarget(ctx, grant));
}

/**
 * entra-group: the person is no longer a direct member (the only kind of membership jitbot adds).
 * `isMember` is the group provider's coalesced read (member-reads.ts).
 */
export async function readBackMembership(
  ctx: EntraContext,
  grant: ActiveGrant,
  isMember: (groupId: string, userId: string) => Promise<boolean>,
): Promise<ReadBack> {
  const groupId = stateString(grant.state, "groupId") ?? groupIdOf(grant.profile);
  if (grant.state.standingMember === true) {
    return gone(`standing member of group ${groupId}: jitbot added nothing, so there is nothing to read back`);
  }
  const userId = await removedUser(ctx, grant);
  if (!userId) return gone("nothing was granted, so there is nothing to read back");
  return (await isMember(groupId, userId))
    ? present(`${userId} is a direct member of group ${groupId}`)
    : gone(`${userId} is no longer a direct member of group ${groupId}`);
}

interface InstancePage {
  value?: { groupId?: string; principalId?: string; accessId?: string }[];
  "@odata.nextLink"?: string;
}

/**
 * entra-pim-group: no active member assignment of the person to the group is left. The list must be
 * scoped by principalId or groupId (privilegedaccessgroup-list-assignmentscheduleinstances); the
 * person's own list is the short one.
 */
export async function readBackPimAssignment(ctx: EntraContext, grant: ActiveGrant): Promise<ReadBack> {
  const groupId = stateString(grant.state, "groupId") ?? groupIdOf(grant.profile);
  const userId = await removedUser(ctx, grant);
  if (!userId) return gone("nothing was granted, so there is nothing to read back");
  const op = { action: `read the PIM assignments of ${userId}`, permission: PIM_PERMISSION };
  let next: string | undefined = `${PIM_INSTANCES}?$filter=principalId eq '${userId}'`;
  for (let pages = 0; next; pages++) {
    if (pages >= MAX_PAGES) throw new Error(`${op.action}: more than ${MAX_PAGES} pages`);
    const url: string = next;
    const page = await graphCall(op, () => ctx.client.api(url).get() as Promise<InstancePage>);
    const held = (page.value ?? []).some((i) => i.groupId === groupId && i.accessId === "member");
    if (held) return present(`PIM shows an active member assignment of ${userId} to group ${groupId}`);
    next = page["@odata.nextLink"];
  }
  return gone(`PIM shows no member assignment of ${userId} to group ${groupId}`);
}

/** GET that answers whether the object exists: 404 is "no", anything else but success is an error. */
async function exists(client: Client, path: string, op: GraphOperation): Promise<boolean> {
  return graphCall(op, async () => {
    try {
      await client.api(path).select("id").get();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  });
}

/**
 * entra-service-principal: the temporary application answers 404 (get-application), and so does its
 * service principal (get-serviceprincipal), which is what signs in. A grant rolled back before its
 * state was stored is looked up by the application's unique name.
 */
export async function readBackApplication(
  ctx: EntraContext,
  grant: ActiveGrant,
  uniqueName: string,
): Promise<ReadBack> {
  const op = { action: "read back jitbot's temporary application", permission: APPS };
  const applicationId = stateString(grant.state, "applicationId");
  const servicePrincipalId = stateString(grant.state, "servicePrincipalId");
  if (!applicationId) {
    return (await exists(ctx.client, `/applications(uniqueName='${uniqueName}')`, op))
      ? present(`temporary application ${uniqueName} exists`)
      : gone(`no temporary application ${uniqueName} exists`);
  }
  if (await exists(ctx.client, `/applications/${applicationId}`, op)) {
    return present(`temporary application ${applicationId} exists`);
  }
  if (servicePrincipalId && (await exists(ctx.client, `/servicePrincipals/${servicePrincipalId}`, op))) {
    return present(`service principal ${servicePrincipalId} of the deleted application still exists`);
  }
  return gone(
    `temporary application ${applicationId}${servicePrincipalId ? ` and service principal ${servicePrincipalId}` : ""} no longer exist`,
  );
}
