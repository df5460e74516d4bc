/**
 * The in-memory tenant behind the fake Graph: users, groups and their direct members, applications,
 * service principals, deleted items and PIM for Groups assignments. Routes answer the way Microsoft
 * Graph v1.0 does, including its error codes and messages (graph-server.ts: transport, faults and
 * recording; graph-apps.ts: applications and the object quota; graph-pim.ts: PIM; graph-listings.ts:
 * the reaper's list queries). Every rule cites the documentation page it comes from.
 */
import { randomUUID } from "node:crypto";
import type { Group, User } from "@microsoft/microsoft-graph-types";
import { applicationRoute, type DeletedItem, type FakeApplication, type FakeServicePrincipal } from "./graph-apps.js";
import { GraphHttpError, notFound, type Reply } from "./graph-errors.js";
import { endExpiredPimAssignments, pimAssignmentEnd } from "./graph-lifetimes.js";
import { type FakePimInstance, type FakePimRequest, listingRoute } from "./graph-listings.js";
import { type FakePimAssignment, type FakePimPolicy, pimRequest } from "./graph-pim.js";

export type { DeletedItem, FakeApplication, FakePimAssignment, FakePimPolicy, FakeServicePrincipal, Reply };
export { GraphHttpError };

export interface FakeUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  displayName: string;
}

/** Every application permission jitbot's docs list: a fully consented app, unless a test takes one away. */
export const ALL_PERMISSIONS = [
  "User.Read.All",
  "GroupMember.ReadWrite.All",
  "Application.ReadWrite.OwnedBy",
  "Application.ReadWrite.All",
  "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
  "User.RevokeSessions.All",
];

export class GraphDirectory {
  readonly users = new Map<string, FakeUser>();
  readonly groups = new Map<string, Set<string>>();
  readonly applications = new Map<string, FakeApplication>();
  readonly servicePrincipals = new Map<string, FakeServicePrincipal>();
  readonly deletedItems = new Map<string, DeletedItem>();
  /** When jitbot's principal permanently deleted an object (each counts ¼ toward its quota for 30 days). */
  readonly purgedAt: number[] = [];
  /** Objects jitbot's principal created: they count toward its quota. */
  readonly createdByCaller = new Set<string>();
  readonly pimAssignments = new Map<string, FakePimAssignment>();
  readonly pimPolicies = new Map<string, FakePimPolicy>();
  /** Every assignment schedule request, as PIM keeps them (with their justification). */
  readonly pimRequests: FakePimRequest[] = [];
  applicationPageSize = 100;
  readonly revokedSessions: string[] = [];
  /** Some tenants answer a remove of a non-member with 400 instead of 404. */
  removeNonMemberShape: "404" | "400" = "404";
  memberPageSize = 100;
  /** The quota of a non-admin principal (directory-service-limits-restrictions). */
  objectQuota = 250;
  /** How long a new object (or membership, or deleted item) stays invisible to the next calls. */
  replicationDelayMs = 0;
  /** The application permissions consented to jitbot's app. */
  readonly permissions = new Set(ALL_PERMISSIONS);
  /** The fake's time; tests point it at their clock. */
  now: () => number = () => Date.now();
  private readonly visibleAt = new Map<string, number>();
  /**
   * Removals (member, application, PIM assignment) are acknowledged at once but show on reads only
   * after this many ms: "changes can take time to replicate" (learn.microsoft.com/graph/best-practices-concept,
   * "Eventual consistency"). "never" stands for a service that answers 204 and keeps the object.
   */
  removalLag: number | "never" = 0;
  /**
   * How long advanced queries (ConsistencyLevel: eventual) still list a member after its removal has
   * replicated: they read "an index that might not be up-to-date with recent changes to the object"
   * (group-list-members.md, Request headers). No page states how long, so tests set it.
   */
  indexLagMs = 0;
  private readonly removedFromGroupAt = new Map<string, number>();
  private readonly unreplicated: { at: number; apply: () => void }[] = [];

  /** A removal as a replica sees it: applied now, after removalLag, or never. */
  remove(apply: () => void): void {
    if (this.removalLag === "never") return;
    if (this.removalLag <= 0) apply();
    else this.unreplicated.push({ at: this.now() + this.removalLag, apply });
  }

  private replicate(): void {
    const now = this.now();
    for (const pending of this.unreplicated.filter((p) => p.at <= now)) {
      this.unreplicated.splice(this.unreplicated.indexOf(pending), 1);
      pending.apply();
    }
  }

  addUser(user: Partial<FakeUser> & { userPrincipalName: string }): FakeUser {
    const full: FakeUser = {
      id: user.id ?? randomUUID(),
      mail: user.mail ?? null,
      displayName: user.displayName ?? user.userPrincipalName,
      userPrincipalName: user.userPrincipalName,
    };
    this.users.set(full.id, full);
    return full;
  }

  addGroup(id: string = randomUUID(), members: string[] = []): string {
    this.groups.set(id, new Set(members));
    return id;
  }

  isMember(groupId: string, memberId: string): boolean {
    this.endExpired();
    return this.groups.get(groupId)?.has(memberId) ?? false;
  }

  applicationByUniqueName(uniqueName: string): FakeApplication | undefined {
    return [...this.applications.values()].find((a) => a.uniqueName === uniqueName);
  }

  group(id: string): Set<string> {
    const group = this.groups.get(id);
    if (!group) throw notFound(id);
    return group;
  }

  /**
   * Entra replicates writes with a delay: an object just written can answer 404 on the next call for
   * a few seconds (group-list-members.md: "There can be a slight delay between when an item is added
   * or updated and when it is available"; the 404/"does not reference a valid application object"
   * after creating an app is widely reported). No page states the delay in seconds, so tests set it.
   */
  markCreated(key: string): void {
    if (this.replicationDelayMs > 0) this.visibleAt.set(key, this.now() + this.replicationDelayMs);
  }

  isReplicated(key: string): boolean {
    return this.now() >= (this.visibleAt.get(key) ?? 0);
  }

  softDelete(id: string, kind: DeletedItem["kind"]): void {
    this.deletedItems.set(id, { id, kind, deletedAt: this.now() });
    this.markCreated(`deleted:${id}`);
  }

  /**
   * https://learn.microsoft.com/graph/permissions-overview: a call the app has no consented
   * permission for answers 403 Authorization_RequestDenied.
   */
  requirePermission(anyOf: string[]): void {
    if (anyOf.some((p) => this.permissions.has(p))) return;
    throw new GraphHttpError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  }

  private directoryObject(id: string): Record<string, unknown> | undefined {
    const user = this.users.get(id);
    if (user) {
      const found: User = { ...user };
      return { "@odata.type": "#microsoft.graph.user", ...found };
    }
    const sp = this.servicePrincipals.get(id);
    if (sp && this.isReplicated(id)) return { "@odata.type": "#microsoft.graph.servicePrincipal", ...sp };
    return undefined;
  }

  /** PIM removes what has expired before anything reads the tenant. */
  private endExpired(): void {
    endExpiredPimAssignments(this.pimAssignments, this.groups, this.now());
  }

  /** The active PIM assignments, as schedule instances. */
  pimInstances(): FakePimInstance[] {
    this.endExpired();
    return [...this.pimAssignments.values()].map((a) => {
      const end = pimAssignmentEnd(a);
      return {
        groupId: a.groupId,
        principalId: a.principalId,
        accessId: a.accessId,
        startDateTime: a.startDateTime,
        endDateTime: end === undefined ? null : new Date(end).toISOString(),
      };
    });
  }

  /** Dispatches one request; `path` is decoded and has no /v1.0 prefix. */
  route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
    base: string,
    headers: Record<string, string | string[] | undefined> = {},
  ): Reply {
    this.replicate();
    this.endExpired();
    const listed = listingRoute(this, method, path, query, base);
    if (listed) return listed;
    const apps = applicationRoute(this, method, path, body, base);
    if (apps) return apps;
    let m: RegExpMatchArray | null;
    const eqFilter = (field: string) =>
      query
        .get("$filter")
        ?.match(new RegExp(`^${field} eq '(.*)'$`))?.[1]
        ?.replaceAll("''", "'");

    m = method === "GET" ? path.match(/^\/users\/([^/]+)$/) : null;
    if (m) {
      const key = (m[1] ?? "").toLowerCase();
      const user = [...this.users.values()].find((u) => u.id === key || u.userPrincipalName.toLowerCase() === key);
      if (!user) throw notFound(m[1] ?? "");
      const found: User = { ...user };
      return { status: 200, body: found };
    }
    if (method === "GET" && path === "/users") {
      const mail = eqFilter("mail")?.toLowerCase();
      const value = [...this.users.values()].filter((u) => mail === undefined || u.mail?.toLowerCase() === mail);
      return { status: 200, body: { "@odata.context": `${base}/v1.0/$metadata#users`, value } };
    }
    m = method === "POST" ? path.match(/^\/users\/([^/]+)\/revokeSignInSessions$/) : null;
    if (m) {
      if (!this.users.has(m[1] ?? "")) throw notFound(m[1] ?? "");
      this.revokedSessions.push(m[1] ?? "");
      return { status: 200, body: { "@odata.context": `${base}/v1.0/$metadata#Edm.Boolean`, value: true } };
    }
    m = method === "GET" ? path.match(/^\/groups\/([^/]+)$/) : null;
    if (m) {
      const id = m[1] ?? "";
      this.group(id);
      const found: Group = { id, displayName: `group ${id}` };
      return { status: 200, body: found };
    }
    m = method === "GET" ? path.match(/^\/groups\/([^/]+)\/members$/) : null;
    if (m) return this.listMembers(m[1] ?? "", path, query, base, headers);
    m = method === "POST" ? path.match(/^\/groups\/([^/]+)\/members\/\$ref$/) : null;
    if (m) {
      const groupId = m[1] ?? "";
      const group = this.group(groupId);
      const ref = String(body["@odata.id"] ?? "");
      const memberId = ref.match(/\/directoryObjects\/([^/]+)$/)?.[1];
      // group-post-members.md: 404 Not Found "when the object being added doesn't exist" (or is not
      // replicated yet to the replica that serves this call).
      const member = memberId ? this.directoryObject(memberId) : undefined;
      if (!memberId || !member) throw notFound(memberId ?? ref);
      // group-post-members.md, Permissions: a servicePrincipal member needs "GroupMember.ReadWrite.All
      // and Application.ReadWrite.All"; a user member GroupMember.ReadWrite.All.
      this.requirePermission(["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"]);
      if (member["@odata.type"] === "#microsoft.graph.servicePrincipal") {
        this.requirePermission(["Application.ReadWrite.All", "Directory.ReadWrite.All"]);
      }
      // group-post-members.md: "400 Bad Request response code when the object is already a member".
      if (group.has(memberId)) {
        throw new GraphHttpError(
          400,
          "Request_BadRequest",
          "One or more added object references already exist for the following modified properties: 'members'.",
        );
      }
      group.add(memberId);
      this.markCreated(`member:${groupId}|${memberId}`);
      return { status: 204 };
    }
    m = method === "DELETE" ? path.match(/^\/groups\/([^/]+)\/members\/([^/]+)\/\$ref$/) : null;
    if (m) {
      const group = this.group(m[1] ?? "");
      const memberId = m[2] ?? "";
      if (!group.has(memberId)) {
        if (this.removeNonMemberShape === "400") {
          throw new GraphHttpError(
            400,
            "Request_BadRequest",
            "One or more removed object references do not exist for the following modified properties: 'members'.",
          );
        }
        throw notFound(memberId);
      }
      const groupId = m[1] ?? "";
      this.remove(() => {
        group.delete(memberId);
        this.removedFromGroupAt.set(`${groupId}|${memberId}`, this.now());
      });
      return { status: 204 };
    }
    if (method === "POST" && path === "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests") {
      return pimRequest(this, body);
    }
    throw new GraphHttpError(400, "BadRequest", `Resource not found for the segment '${path.split("/")[1] ?? ""}'.`);
  }

  private listMembers(
    groupId: string,
    path: string,
    query: URLSearchParams,
    base: string,
    headers: Record<string, string | string[] | undefined>,
  ): Reply {
    const group = this.group(groupId);
    // group-list-members.md, Request headers: "ConsistencyLevel: eventual. This header and $count
    // are required when using the $search, $filter, $orderby, or OData cast query parameters";
    // aad-advanced-queries.md (Error handling): without them, 400 Request_UnsupportedQuery
    // "Unsupported Query.".
    const advanced = ["$filter", "$search", "$orderby"].some((p) => query.has(p));
    if (advanced && (headers.consistencylevel !== "eventual" || query.get("$count") !== "true")) {
      throw new GraphHttpError(400, "Request_UnsupportedQuery", "Unsupported Query.");
    }
    const filter = query.get("$filter");
    const ids = filter === null ? undefined : idFilter(filter);
    if (filter !== null && ids === undefined) {
      throw new GraphHttpError(400, "Request_UnsupportedQuery", "Unsupported Query.");
    }
    // group-list-members.md (v1.0): "This API has a known issue where service principals are not
    // listed as group members in v1.0." Advanced queries read an index that "might not be up-to-date
    // with recent changes" (the same page): a just-added member is not in it yet, and a just-removed
    // one still is for indexLagMs.
    const now = this.now();
    const stillIndexed = advanced
      ? [...this.removedFromGroupAt]
          .filter(([key, at]) => key.startsWith(`${groupId}|`) && now < at + this.indexLagMs)
          .map(([key]) => key.slice(groupId.length + 1))
      : [];
    const all = [...new Set([...group, ...stillIndexed])].filter(
      (member) =>
        (ids === undefined || ids.has(member)) &&
        !this.servicePrincipals.has(member) &&
        (!advanced || this.isReplicated(`member:${groupId}|${member}`)),
    );
    const top = Math.min(Number(query.get("$top") ?? this.memberPageSize), this.memberPageSize);
    const skip = Number(query.get("$skiptoken") ?? 0);
    const value = all.slice(skip, skip + top).map((member) => this.directoryObject(member) ?? { id: member });
    const next = skip + top < all.length ? `${base}/v1.0${path}?$top=${top}&$skiptoken=${skip + top}` : undefined;
    return {
      status: 200,
      body: {
        value,
        ...(query.get("$count") === "true" ? { "@odata.count": all.length } : {}),
        ...(next ? { "@odata.nextLink": next } : {}),
      },
    };
  }
}

/**
 * The two filters jitbot sends on `members`: `id eq '…'` and `id in ('…','…')` (filter-query-parameter.md:
 * `in` is an equality operator; aad-advanced-queries.md: "The `in` operator is supported by default
 * whenever `eq` operator is supported"). OData doubles a quote inside a string literal. Anything else
 * is undefined, which the caller refuses.
 */
function idFilter(filter: string): Set<string> | undefined {
  const literal = "'((?:[^']|'')*)'";
  const eq = new RegExp(`^id eq ${literal}$`).exec(filter);
  if (eq) return new Set([(eq[1] ?? "").replaceAll("''", "'")]);
  const list = /^id in \((.*)\)$/.exec(filter)?.[1];
  if (list === undefined) return undefined;
  const values = [...list.matchAll(new RegExp(`\\s*${literal}\\s*(,|$)`, "g"))];
  const consumed = values.map((v) => v[0]).join("");
  if (values.length === 0 || consumed !== list) return undefined;
  return new Set(values.map((v) => (v[1] ?? "").replaceAll("''", "'")));
}
