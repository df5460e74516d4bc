import type { Client } from "@microsoft/microsoft-graph-client";
import type { Profile } from "../../config/schema.js";
import type { MemberLister } from "../provider.js";
import { graphCall, graphCallTolerating, isAlreadyExists, isDoesNotExist } from "./errors.js";

const WRITE_MEMBERS = "GroupMember.ReadWrite.All";
const READ_MEMBERS = "GroupMember.Read.All";

/** Every Entra grant type names its group as `grant.groupId`. */
export function groupIdOf(profile: Profile): string {
  const grant = profile.grant;
  if (grant.type === "entra-group" || grant.type === "entra-pim-group" || grant.type === "entra-service-principal") {
    return grant.groupId;
  }
  throw new Error(`profile ${profile.id} has grant type ${grant.type}, not an Entra one`);
}

/** Direct membership only: a nested-group member is not something our add or remove touches. */
export async function isDirectMember(client: Client, groupId: string, memberId: string): Promise<boolean> {
  const page = await graphCall(
    { action: `read the members of group ${groupId}`, permission: READ_MEMBERS },
    () =>
      client
        .api(`/groups/${groupId}/members`)
        .header("ConsistencyLevel", "eventual")
        .filter(`id eq '${memberId}'`)
        .select("id")
        .get() as Promise<{ value?: { id: string }[] }>,
  );
  return (page.value ?? []).some((m) => m.id === memberId);
}

/** Adds a member; "already a member" is success. Returns whether this call added it. */
export async function addMember(client: Client, groupId: string, memberId: string, baseUrl: string): Promise<boolean> {
  const result = await graphCallTolerating(
    { action: `add ${memberId} to group ${groupId}`, permission: WRITE_MEMBERS },
    isAlreadyExists,
    async () => {
      await client
        .api(`/groups/${groupId}/members/$ref`)
        .post({ "@odata.id": `${baseUrl}/v1.0/directoryObjects/${memberId}` });
      return true;
    },
  );
  return result === true;
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

interface MemberPage {
  value?: { id: string; displayName?: string | null; userPrincipalName?: string | null }[];
  "@odata.nextLink"?: string;
}

/** Everyone directly in the profile's group, for the drift report; follows @odata.nextLink. */
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
