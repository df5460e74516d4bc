import type { Client } from "@microsoft/microsoft-graph-client";
import type { DirectoryObject, User } from "@microsoft/microsoft-graph-types";
import type { Profile } from "../../config/schema.js";
import type { Clock } from "../../domain/clock.js";
import type { MemberLister } from "../provider.js";
import { graphCall, graphCallTolerating, isAlreadyExists, isDoesNotExist } from "./errors.js";
import { afterReplication, isMissing } from "./replication.js";

export const WRITE_MEMBERS = "GroupMember.ReadWrite.All";
const READ_MEMBERS = "GroupMember.Read.All";
/**
 * group-post-members.md, Permissions: a service principal member needs "GroupMember.ReadWrite.All
 * and Application.ReadWrite.All"; a user member GroupMember.ReadWrite.All alone.
 */
export const ADD_SERVICE_PRINCIPAL = "Application.ReadWrite.All (together with GroupMember.ReadWrite.All)";

interface Page<T> {
  value?: T[];
  "@odata.nextLink"?: string;
}

/** Every Entra grant type names its group as `grant.groupId`. */
export function groupIdOf(profile: Profile): string {
  const grant = profile.grant;
  if (grant.type === "entra-group" || grant.type === "entra-pim-group" || grant.type === "entra-service-principal") {
    return grant.groupId;
  }
  throw new Error(`profile ${profile.id} has grant type ${grant.type}, not an Entra one`);
}

/**
 * Direct membership only: a nested-group member is not something our add or remove touches. A
 * `$filter` on `members` is an advanced query: group-list-members.md requires `ConsistencyLevel:
 * eventual` *and* `$count=true`, else 400 Request_UnsupportedQuery (aad-advanced-queries.md).
 * checkMemberGroups would need neither, but it is transitive.
 */
export async function isDirectMember(client: Client, groupId: string, memberId: string): Promise<boolean> {
  const page = await graphCall(
    { action: `read the members of group ${groupId}`, permission: READ_MEMBERS },
    () =>
      client
        .api(`/groups/${groupId}/members`)
        .header("ConsistencyLevel", "eventual")
        .count(true)
        .filter(`id eq '${memberId}'`)
        .select("id")
        .get() as Promise<Page<DirectoryObject>>,
  );
  return (page.value ?? []).some((m) => m.id === memberId);
}

/** Adds a user; "already a member" is success. Returns whether this call added it. */
export async function addMember(client: Client, groupId: string, memberId: string, baseUrl: string): Promise<boolean> {
  const result = await graphCallTolerating(
    { action: `add ${memberId} to group ${groupId}`, permission: WRITE_MEMBERS },
    isAlreadyExists,
    () => postMemberRef(client, groupId, memberId, baseUrl),
  );
  return result === true;
}

/**
 * Adds a service principal this grant has just created. Until it has replicated, Graph answers 404
 * naming it; that is waited out (a 404 naming the group is not).
 */
export async function addNewServicePrincipal(
  client: Client,
  clock: Clock,
  groupId: string,
  servicePrincipalId: string,
  baseUrl: string,
): Promise<void> {
  const op = {
    action: `add the temporary service principal ${servicePrincipalId} to group ${groupId}`,
    permission: ADD_SERVICE_PRINCIPAL,
    created: `the temporary service principal ${servicePrincipalId}`,
  };
  await afterReplication(clock, op, isMissing(servicePrincipalId), async () => {
    try {
      await postMemberRef(client, groupId, servicePrincipalId, baseUrl);
    } catch (error) {
      if (isAlreadyExists(error)) return;
      throw error;
    }
  });
}

async function postMemberRef(client: Client, groupId: string, memberId: string, baseUrl: string): Promise<true> {
  const ref: Record<"@odata.id", string> = { "@odata.id": `${baseUrl}/v1.0/directoryObjects/${memberId}` };
  await client.api(`/groups/${groupId}/members/$ref`).post(ref);
  return true;
}

/** Removes a member; "not a member" (404, or 400 "do not exist") is success. */
export async function removeMember(client: Client, groupId: string, memberId: string): Promise<boolean> {
  const result = await graphCallTolerating(
    { action: `remove ${memberId} from group ${groupId}`, permission: WRITE_MEMBERS },
    isDoesNotExist,
    async () => {
      await client.api(`/groups/${groupId}/members/${memberId}/$ref`).delete();
      return true;
    },
  );
  return result === true;
}

/** Stops refresh of the person's sessions; tokens already issued still live out their 60–90 min. */
export async function revokeSignInSessions(client: Client, userId: string): Promise<void> {
  await graphCallTolerating(
    { action: `revoke the sign-in sessions of ${userId}`, permission: "User.RevokeSessions.All" },
    isDoesNotExist,
    () => client.api(`/users/${userId}/revokeSignInSessions`).post({}),
  );
}

type MemberPage = Page<DirectoryObject & Pick<User, "displayName" | "userPrincipalName">>;

/**
 * Everyone directly in the profile's group, for the drift report; follows @odata.nextLink. Graph
 * v1.0 leaves service principals out of this list (group-list-members.md, known issue), so an
 * entra-service-principal group's temporary members never show here.
 */
export function memberLister(client: Client): MemberLister {
  return {
    async listMembers(profile) {
      const groupId = groupIdOf(profile);
      const op = { action: `list the members of group ${groupId}`, permission: READ_MEMBERS };
      const members: { id: string; displayName: string; userPrincipalName?: string }[] = [];
      let next: string | undefined = `/groups/${groupId}/members?$select=id,displayName,userPrincipalName&$top=999`;
      while (next) {
        const url: string = next;
        const page = await graphCall(op, () => client.api(url).get() as Promise<MemberPage>);
        for (const m of page.value ?? []) {
          if (!m.id) continue;
          members.push({
            id: m.id,
            displayName: m.displayName ?? m.userPrincipalName ?? m.id,
            ...(m.userPrincipalName ? { userPrincipalName: m.userPrincipalName } : {}),
          });
        }
        next = page["@odata.nextLink"];
      }
      return members;
    },
  };
}
