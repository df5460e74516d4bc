/**
 * The in-memory tenant behind the fake Graph: users, groups and their direct members, applications,
 * service principals and PIM for Groups assignments. Routes answer the way Microsoft Graph v1.0 does,
 * including its error codes and messages (see graph-server.ts for transport, faults and recording).
 */
import { randomUUID } from "node:crypto";
import { endExpiredPimAssignments, extendPimAssignment, pimAssignmentEnd } from "./graph-lifetimes.js";
import { type FakePimInstance, type FakePimRequest, listingRoute } from "./graph-listings.js";

export interface FakeUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  displayName: string;
}
export interface FakeApplication {
  id: string;
  appId: string;
  uniqueName: string;
  displayName: string;
  passwords: { keyId: string; endDateTime: string; secretText: string }[];
}
export interface FakeServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
}
export interface FakePimAssignment {
  groupId: string;
  principalId: string;
  accessId: string;
  duration: string;
  justification: string;
  ticketNumber?: string;
  startDateTime: string;
  /** Set by adminExtend: the assignment now ends here rather than after `duration`. */
  endDateTime?: string;
}

export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body?: unknown;
}

const notFound = (id: string) =>
  new GraphHttpError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export class GraphDirectory {
  readonly users = new Map<string, FakeUser>();
  readonly groups = new Map<string, Set<string>>();
  readonly applications = new Map<string, FakeApplication>();
  readonly servicePrincipals = new Map<string, FakeServicePrincipal>();
  readonly pimAssignments = new Map<string, FakePimAssignment>();
  /** Every assignment schedule request, as PIM keeps them (with their justification). */
  readonly pimRequests: FakePimRequest[] = [];
  applicationPageSize = 100;
  readonly revokedSessions: string[] = [];
  /** Some tenants answer a remove of a non-member with 400 instead of 404. */
  removeNonMemberShape: "404" | "400" = "404";
  memberPageSize = 100;
  /** The fake's clock (ms): PIM expirations and password end dates are judged by it (graph-lifetimes.ts). */
  now: () => number = () => Date.now();

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

  private group(id: string): Set<string> {
    const group = this.groups.get(id);
    if (!group) throw notFound(id);
    return group;
  }

  private directoryObject(id: string): Record<string, unknown> | undefined {
    const user = this.users.get(id);
    if (user) return { "@odata.type": "#microsoft.graph.user", ...user };
    const sp = this.servicePrincipals.get(id);
    if (sp) return { "@odata.type": "#microsoft.graph.servicePrincipal", ...sp, userPrincipalName: null };
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
  route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>, base: string): Reply {
    this.endExpired();
    const listed = listingRoute(this, method, path, query, base);
    if (listed) return listed;
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
      return { status: 200, body: user };
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
    m = method === "GET" ? path.match(/^\/groups\/([^/]+)\/members$/) : null;
    if (m) {
      const id = eqFilter("id");
      const all = [...this.group(m[1] ?? "")].filter((member) => id === undefined || member === id);
      const top = Math.min(Number(query.get("$top") ?? this.memberPageSize), this.memberPageSize);
      const skip = Number(query.get("$skiptoken") ?? 0);
      const value = all.slice(skip, skip + top).map((member) => this.directoryObject(member) ?? { id: member });
      const next = skip + top < all.length ? `${base}/v1.0${path}?$top=${top}&$skiptoken=${skip + top}` : undefined;
      return { status: 200, body: { value, ...(next ? { "@odata.nextLink": next } : {}) } };
    }
    m = method === "POST" ? path.match(/^\/groups\/([^/]+)\/members\/\$ref$/) : null;
    if (m) {
      const group = this.group(m[1] ?? "");
      const ref = String(body["@odata.id"] ?? "");
      const memberId = ref.match(/\/directoryObjects\/([^/]+)$/)?.[1];
      if (!memberId || !this.directoryObject(memberId)) throw notFound(memberId ?? ref);
      if (group.has(memberId)) {
        throw new GraphHttpError(
          400,
          "Request_BadRequest",
          "One or more added object references already exist for the following modified properties: 'members'.",
        );
      }
      group.add(memberId);
      return { status: 204 };
    }
    m = method === "DELETE" ? path.match(/^\/groups\/([^/]+)\/members\/([^/]+)\/\$ref$/) : null;
    if (m) {
      const group = this.group(m[1] ?? "");
      if (!group.delete(m[2] ?? "")) {
        if (this.removeNonMemberShape === "400") {
          throw new GraphHttpError(
            400,
            "Request_BadRequest",
            "One or more removed object references do not exist for the following modified properties: 'members'.",
          );
        }
        throw notFound(m[2] ?? "");
      }
      return { status: 204 };
    }
    if (method === "POST" && path === "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests") {
      return this.pimRequest(body);
    }
    m = path.match(/^\/applications\(uniqueName='(.+)'\)$/);
    if (m) {
      const uniqueName = m[1] ?? "";
      const existing = this.applicationByUniqueName(uniqueName);
      if (method === "GET") {
        if (!existing) throw notFound(uniqueName);
        return { status: 200, body: existing };
      }
      if (method === "PATCH") {
        if (existing) return { status: 204 };
        const app: FakeApplication = {
          id: randomUUID(),
          appId: randomUUID(),
          uniqueName,
          displayName: String(body.displayName ?? ""),
          passwords: [],
        };
        this.applications.set(app.id, app);
        return {
          status: 201,
          body: { "@odata.context": `${base}/v1.0/$metadata#applications/$entity`, ...app, passwords: undefined },
        };
      }
    }
    m = method === "DELETE" ? path.match(/^\/applications\/([^/]+)$/) : null;
    if (m) {
      const app = this.applications.get(m[1] ?? "");
      if (!app) throw notFound(m[1] ?? "");
      this.applications.delete(app.id);
      for (const sp of [...this.servicePrincipals.values()].filter((s) => s.appId === app.appId)) {
        this.servicePrincipals.delete(sp.id);
        for (const group of this.groups.values()) group.delete(sp.id);
      }
      return { status: 204 };
    }
    m = method === "POST" ? path.match(/^\/applications\/([^/]+)\/addPassword$/) : null;
    if (m) {
      const app = this.applications.get(m[1] ?? "");
      if (!app) throw notFound(m[1] ?? "");
      const credential = (body.passwordCredential ?? {}) as { endDateTime?: string };
      const password = {
        keyId: randomUUID(),
        endDateTime: credential.endDateTime ?? "",
        secretText: `fake~secret~${randomUUID()}`,
      };
      app.passwords.push(password);
      return { status: 200, body: { ...password, hint: password.secretText.slice(0, 3) } };
    }
    // application: removePassword (v1.0): 204 No Content. The page does not say how an unknown keyId is
    // answered; this fake says 404 as for any missing object, and jitbot tolerates either 404 or 400.
    m = method === "POST" ? path.match(/^\/applications\/([^/]+)\/removePassword$/) : null;
    if (m) {
      const app = this.applications.get(m[1] ?? "");
      if (!app) throw notFound(m[1] ?? "");
      const index = app.passwords.findIndex((p) => p.keyId === body.keyId);
      if (index < 0) throw notFound(String(body.keyId ?? ""));
      app.passwords.splice(index, 1);
      return { status: 204 };
    }
    // Get application (v1.0): passwordCredentials never carry secretText once created.
    m = method === "GET" ? path.match(/^\/applications\/([^/(]+)$/) : null;
    if (m) {
      const app = this.applications.get(m[1] ?? "");
      if (!app) throw notFound(m[1] ?? "");
      const passwordCredentials = app.passwords.map(({ keyId, endDateTime }) => ({ keyId, endDateTime }));
      return { status: 200, body: { id: app.id, appId: app.appId, displayName: app.displayName, passwordCredentials } };
    }
    m = method === "GET" ? path.match(/^\/servicePrincipals\(appId='(.+)'\)$/) : null;
    if (m) {
      const sp = [...this.servicePrincipals.values()].find((s) => s.appId === m?.[1]);
      if (!sp) throw notFound(m[1] ?? "");
      return { status: 200, body: sp };
    }
    if (method === "POST" && path === "/servicePrincipals") {
      const app = [...this.applications.values()].find((a) => a.appId === body.appId);
      if (!app)
        throw new GraphHttpError(
          400,
          "Request_BadRequest",
          "The appId of the service principal does not reference a valid application object.",
        );
      const sp = { id: randomUUID(), appId: app.appId, displayName: app.displayName };
      this.servicePrincipals.set(sp.id, sp);
      return { status: 201, body: sp };
    }
    throw new GraphHttpError(400, "BadRequest", `Resource not found for the segment '${path.split("/")[1] ?? ""}'.`);
  }

  private pimRequest(body: Record<string, unknown>): Reply {
    const groupId = String(body.groupId ?? "");
    const principalId = String(body.principalId ?? "");
    const accessId = String(body.accessId ?? "");
    const group = this.group(groupId);
    const key = `${groupId}|${principalId}|${accessId}`;
    if (body.action === "adminAssign") {
      if (this.pimAssignments.has(key))
        throw new GraphHttpError(400, "RoleAssignmentExists", "The Role assignment already exists.");
      const schedule = (body.scheduleInfo ?? {}) as { startDateTime?: string; expiration?: { duration?: string } };
      const ticket = (body.ticketInfo ?? {}) as { ticketNumber?: string };
      this.pimAssignments.set(key, {
        groupId,
        principalId,
        accessId,
        duration: schedule.expiration?.duration ?? "",
        justification: String(body.justification ?? ""),
        ...(ticket.ticketNumber ? { ticketNumber: ticket.ticketNumber } : {}),
        startDateTime: schedule.startDateTime ?? new Date().toISOString(),
      });
      // An active PIM member assignment shows as a direct member of the group.
      if (accessId === "member") group.add(principalId);
    } else if (body.action === "adminExtend") {
      extendPimAssignment(this.pimAssignments.get(key), (body.scheduleInfo ?? {}) as object);
    } else if (body.action === "adminRemove") {
      if (!this.pimAssignments.delete(key)) {
        throw new GraphHttpError(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.");
      }
      if (accessId === "member") group.delete(principalId);
    } else {
      throw new GraphHttpError(400, "InvalidAction", `Unsupported action ${String(body.action)}.`);
    }
    const request: FakePimRequest = {
      id: randomUUID(),
      action: String(body.action),
      groupId,
      principalId,
      accessId,
      justification: String(body.justification ?? ""),
      status: "Provisioned",
      createdDateTime: new Date(Date.now() + this.pimRequests.length).toISOString(),
    };
    this.pimRequests.push(request);
    return { status: 201, body: { ...body, ...request } };
  }
}
