import type { Client } from "@microsoft/microsoft-graph-client";
import type { Profile } from "../../config/schema.js";
import type { Clock } from "../../domain/clock.js";
import { type OwnedObject, requestIdInJustification } from "../orphans.js";
import { graphCall, graphCallTolerating, isDoesNotExist } from "./errors.js";
import { groupIdOf, memberLister, removeMember } from "./members.js";
import { deleteForGood } from "./temporary-app.js";

const PIM = "/identityGovernance/privilegedAccess/group";
const PIM_READ = "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup";
const APPS = "Application.ReadWrite.OwnedBy";
/** Pages followed per listing; past this the listing fails rather than returning part of the truth. */
const MAX_PAGES = 100;

interface Page<T> {
  value?: T[];
  "@odata.nextLink"?: string;
}

/** Follows @odata.nextLink to the end; any failure throws (a partial listing is no listing). */
async function allPages<T>(client: Client, first: string, op: { action: string; permission: string }): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = first;
  for (let pages = 0; next; pages++) {
    if (pages >= MAX_PAGES) throw new Error(`${op.action}: more than ${MAX_PAGES} pages`);
    const url: string = next;
    const page = await graphCall(op, () => client.api(url).get() as Promise<Page<T>>);
    items.push(...(page.value ?? []));
    next = page["@odata.nextLink"];
  }
  return items;
}

/** Members of an entra-group profile's group: removable only with proof (see orphan-verdict.ts). */
export async function listGroupMembers(client: Client, profile: Profile): Promise<OwnedObject[]> {
  const groupId = groupIdOf(profile);
  const members = await memberLister(client).listMembers(profile);
  return members.map((m) => ({
    key: `member:${groupId}:${m.id}`,
    ref: m.id,
    description: `${m.displayName}${m.userPrincipalName ? ` (${m.userPrincipalName})` : ""}, member of group ${groupId}`,
    holders: [m.id, ...(m.userPrincipalName ? [m.userPrincipalName] : [])],
    fingerprint: m.displayName,
    removable: true,
  }));
}

export async function removeGroupMember(client: Client, profile: Profile, object: OwnedObject) {
  const groupId = groupIdOf(profile);
  return (await removeMember(client, groupId, object.ref)) ? `removed ${object.ref} from group ${groupId}` : undefined;
}

interface ScheduleInstance {
  principalId: string;
  accessId: string;
  endDateTime?: string | null;
}
interface ScheduleRequest {
  principalId: string;
  accessId: string;
  action: string;
  justification?: string | null;
  createdDateTime?: string;
}

/**
 * PIM for Groups member assignments of the group that jitbot made: active instances (what holds
 * access now), each matched to the newest adminAssign request for that principal, whose justification
 * carries `(jitbot JR-…)`. Both lists must be scoped by groupId, as the API requires.
 */
export async function listPimAssignments(client: Client, profile: Profile): Promise<OwnedObject[]> {
  const groupId = groupIdOf(profile);
  const filter = `$filter=groupId eq '${groupId}'`;
  const op = { action: `list the PIM assignments of group ${groupId}`, permission: PIM_READ };
  const instances = await allPages<ScheduleInstance>(client, `${PIM}/assignmentScheduleInstances?${filter}`, op);
  const requests = await allPages<ScheduleRequest>(client, `${PIM}/assignmentScheduleRequests?${filter}`, op);
  const objects: OwnedObject[] = [];
  for (const instance of instances.filter((i) => i.accessId === "member")) {
    const assign = requests
      .filter((r) => r.principalId === instance.principalId && r.accessId === "member" && r.action === "adminAssign")
      .sort((a, b) => (b.createdDateTime ?? "").localeCompare(a.createdDateTime ?? ""))[0];
    const requestId = requestIdInJustification(assign?.justification);
    // An assignment jitbot did not make belongs to PIM and its own policy, not to jitbot.
    if (!requestId) continue;
    objects.push({
      key: `pim:${groupId}:${instance.principalId}`,
      ref: instance.principalId,
      description: `PIM assignment of ${instance.principalId} to group ${groupId}${instance.endDateTime ? ` (ends ${instance.endDateTime})` : ""}`,
      requestId,
      holders: [instance.principalId],
      fingerprint: `${requestId}|${instance.endDateTime ?? ""}`,
      removable: true,
    });
  }
  return objects;
}

export async function removePimAssignment(client: Client, profile: Profile, object: OwnedObject) {
  const groupId = groupIdOf(profile);
  const removed = await graphCallTolerating(
    { action: `remove the PIM assignment of ${object.ref} to group ${groupId}`, permission: PIM_READ },
    isDoesNotExist,
    () =>
      client.api(`${PIM}/assignmentScheduleRequests`).post({
        accessId: "member",
        principalId: object.ref,
        groupId,
        action: "adminRemove",
        justification: `jitbot: orphan of request ${object.requestId} removed by the reaper`,
      }) as Promise<unknown>,
  );
  return removed === undefined ? undefined : `removed the PIM assignment of ${object.ref} to group ${groupId}`;
}

interface Application {
  id: string;
  appId: string;
  uniqueName?: string | null;
  displayName?: string | null;
  passwordCredentials?: { endDateTime?: string | null }[];
}

/**
 * The profile's temporary applications: jitbot names them `jitbot <profile id> <email>` and gives
 * them the unique name `jitbot-<request id>` (service-principal.ts). `startswith` on displayName is a
 * filter applications support without advanced query headers.
 */
export async function listApplications(client: Client, profile: Profile): Promise<OwnedObject[]> {
  const prefix = `jitbot ${profile.id} `;
  const query = `$filter=startswith(displayName,'${prefix}')&$select=id,appId,uniqueName,displayName,passwordCredentials&$top=999`;
  const op = { action: "list jitbot's temporary applications", permission: APPS };
  const apps = await allPages<Application>(client, `/applications?${query}`, op);
  const objects: OwnedObject[] = [];
  for (const app of apps) {
    const requestId = app.uniqueName?.startsWith("jitbot-") ? app.uniqueName.slice("jitbot-".length) : undefined;
    const ends = (app.passwordCredentials ?? []).map((p) => p.endDateTime ?? "").sort();
    objects.push({
      key: `app:${app.id}`,
      ref: app.id,
      description: `temporary application ${app.displayName ?? app.id} (appId ${app.appId})`,
      ...(requestId ? { requestId } : {}),
      holders: [app.id, app.appId],
      fingerprint: `${app.displayName ?? ""}|${ends.join(",")}`,
      removable: requestId !== undefined,
    });
  }
  return objects;
}

/** Deletes an orphaned application and purges it from deleted items, so it stops counting toward the quota. */
export async function removeApplication(client: Client, clock: Clock, object: OwnedObject) {
  const { deleted, purgeNote } = await deleteForGood(client, clock, { id: object.ref }, undefined);
  if (!deleted) return undefined;
  return purgeNote ? `deleted ${object.description}; ${purgeNote}` : `deleted ${object.description}`;
}
