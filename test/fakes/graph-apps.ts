/**
 * Applications, service principals and the deleted-items container of the fake Graph, with the
 * rules the real directory enforces on them: the per-principal object quota, replication delay and
 * the permissions of the Add members table (graph-directory.ts holds the tenant and dispatches).
 */
import { randomUUID } from "node:crypto";
import type { Application, PasswordCredential, ServicePrincipal } from "@microsoft/microsoft-graph-types";
import type { GraphDirectory } from "./graph-directory.js";
import { GraphHttpError, notFound, type Reply } from "./graph-errors.js";

const DAY_MS = 24 * 3600 * 1000;

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
export interface DeletedItem {
  id: string;
  kind: "application" | "servicePrincipal";
  deletedAt: number;
}

/**
 * https://learn.microsoft.com/entra/identity/users/directory-service-limits-restrictions ("A
 * non-admin user can create no more than 250 Microsoft Entra resources. Both active resources and
 * deleted resources that are available to restore count toward this quota. Only deleted Microsoft
 * Entra resources that were deleted fewer than 30 days ago are available to restore. Deleted
 * Microsoft Entra resources that are no longer available to restore count toward this quota at a
 * value of one-quarter for 30 days.") and entra-docs identity/enterprise-apps/delete-recover-faq.md
 * (applications and service principals count; Directory_QuotaExceeded).
 */
export function quotaUsed(dir: GraphDirectory): number {
  const now = dir.now();
  let used = [...dir.applications.values(), ...dir.servicePrincipals.values()].filter((o) =>
    dir.createdByCaller.has(o.id),
  ).length;
  for (const item of dir.deletedItems.values()) {
    const age = now - item.deletedAt;
    if (age < 30 * DAY_MS) used += 1;
    else if (age < 60 * DAY_MS) used += 0.25;
  }
  for (const at of dir.purgedAt) if (now - at < 30 * DAY_MS) used += 0.25;
  return used;
}

function createObject(dir: GraphDirectory, id: string): void {
  if (quotaUsed(dir) + 1 > dir.objectQuota) {
    // Shape as Graph returns it to a principal over its quota (400, Directory_QuotaExceeded).
    throw new GraphHttpError(
      400,
      "Directory_QuotaExceeded",
      "The directory object quota limit for the Principal has been exceeded. Please ask your administrator to increase the quota limit or delete objects to reduce the used quota.",
    );
  }
  dir.createdByCaller.add(id);
  dir.markCreated(id);
}

function visibleApplication(dir: GraphDirectory, id: string): FakeApplication {
  const app = dir.applications.get(id);
  if (!app || !dir.isReplicated(id)) throw notFound(id);
  return app;
}

/** application resource (v1.0): passwordCredentials carry keyId and endDateTime, never secretText once made. */
function asApplication(app: FakeApplication): Application {
  const passwordCredentials = app.passwords.map(({ keyId, endDateTime }) => ({ keyId, endDateTime }));
  return {
    id: app.id,
    appId: app.appId,
    uniqueName: app.uniqueName,
    displayName: app.displayName,
    passwordCredentials,
  };
}

export function applicationRoute(
  dir: GraphDirectory,
  method: string,
  path: string,
  body: Record<string, unknown>,
  base: string,
): Reply | undefined {
  let m = path.match(/^\/applications\(uniqueName='(.+)'\)$/);
  if (m) {
    const uniqueName = m[1] ?? "";
    const existing = dir.applicationByUniqueName(uniqueName);
    if (method === "GET") {
      if (!existing || !dir.isReplicated(existing.id)) throw notFound(uniqueName);
      return { status: 200, body: asApplication(existing) };
    }
    if (method === "PATCH") {
      // application-upsert.md: with Prefer: create-if-missing, 201 + the new object, else 204.
      if (existing) return { status: 204 };
      const app: FakeApplication = {
        id: randomUUID(),
        appId: randomUUID(),
        uniqueName,
        displayName: String(body.displayName ?? ""),
        passwords: [],
      };
      createObject(dir, app.id);
      dir.applications.set(app.id, app);
      const created: Application = asApplication(app);
      return { status: 201, body: { "@odata.context": `${base}/v1.0/$metadata#applications/$entity`, ...created } };
    }
  }
  m = method === "DELETE" ? path.match(/^\/applications\/([^/]+)$/) : null;
  if (m) {
    const app = visibleApplication(dir, m[1] ?? "");
    dir.remove(() => {
      dir.applications.delete(app.id);
      dir.softDelete(app.id, "application");
      // Deleting an application also deletes its service principal in the home tenant.
      for (const sp of [...dir.servicePrincipals.values()].filter((s) => s.appId === app.appId)) {
        dir.servicePrincipals.delete(sp.id);
        dir.softDelete(sp.id, "servicePrincipal");
        for (const group of dir.groups.values()) group.delete(sp.id);
      }
    });
    return { status: 204 };
  }
  // application-get.md / serviceprincipal-get.md: GET by object id; 404 Request_ResourceNotFound
  // once deleted (or not yet replicated).
  m = method === "GET" ? path.match(/^\/applications\/([^/(]+)$/) : null;
  if (m) {
    const app = dir.applications.get(m[1] ?? "");
    if (!app || !dir.isReplicated(app.id)) throw notFound(m[1] ?? "");
    return { status: 200, body: asApplication(app) };
  }
  m = method === "GET" ? path.match(/^\/servicePrincipals\/([^/(]+)$/) : null;
  if (m) {
    const sp = dir.servicePrincipals.get(m[1] ?? "");
    if (!sp || !dir.isReplicated(sp.id)) throw notFound(m[1] ?? "");
    const found: ServicePrincipal = { id: sp.id, appId: sp.appId, displayName: sp.displayName };
    return { status: 200, body: found };
  }
  // application: removePassword (v1.0): 204 No Content. The page does not say how an unknown keyId is
  // answered; this fake says 404 as for any missing object, and jitbot tolerates either 404 or 400.
  m = method === "POST" ? path.match(/^\/applications\/([^/]+)\/removePassword$/) : null;
  if (m) {
    const app = visibleApplication(dir, m[1] ?? "");
    const index = app.passwords.findIndex((p) => p.keyId === body.keyId);
    if (index < 0) throw notFound(String(body.keyId ?? ""));
    app.passwords.splice(index, 1);
    return { status: 204 };
  }
  m = method === "POST" ? path.match(/^\/applications\/([^/]+)\/addPassword$/) : null;
  if (m) {
    const app = visibleApplication(dir, m[1] ?? "");
    const credential = (body.passwordCredential ?? {}) as PasswordCredential;
    const password = {
      keyId: randomUUID(),
      endDateTime: credential.endDateTime ?? "",
      secretText: `fake~secret~${randomUUID()}`,
    };
    app.passwords.push(password);
    const reply: PasswordCredential = { ...password, hint: password.secretText.slice(0, 3) };
    return { status: 200, body: reply };
  }
  m = method === "GET" ? path.match(/^\/servicePrincipals\(appId='(.+)'\)$/) : null;
  if (m) {
    const sp = [...dir.servicePrincipals.values()].find((s) => s.appId === m?.[1] && dir.isReplicated(s.id));
    if (!sp) throw notFound(m[1] ?? "");
    const found: ServicePrincipal = { id: sp.id, appId: sp.appId, displayName: sp.displayName };
    return { status: 200, body: found };
  }
  m = method === "DELETE" ? path.match(/^\/servicePrincipals\/([^/]+)$/) : null;
  if (m) {
    const sp = dir.servicePrincipals.get(m[1] ?? "");
    if (!sp || !dir.isReplicated(sp.id)) throw notFound(m[1] ?? "");
    dir.servicePrincipals.delete(sp.id);
    dir.softDelete(sp.id, "servicePrincipal");
    for (const group of dir.groups.values()) group.delete(sp.id);
    return { status: 204 };
  }
  if (method === "POST" && path === "/servicePrincipals") {
    // A just-created application is not yet visible to this call on another replica: Graph answers
    // as for an unknown appId (serviceprincipal-post-serviceprincipals.md; replication delay).
    const app = [...dir.applications.values()].find((a) => a.appId === body.appId && dir.isReplicated(a.id));
    if (!app)
      throw new GraphHttpError(
        400,
        "Request_BadRequest",
        `The appId '${String(body.appId)}' of the service principal does not reference a valid application object.`,
      );
    const sp: FakeServicePrincipal = { id: randomUUID(), appId: app.appId, displayName: app.displayName };
    createObject(dir, sp.id);
    dir.servicePrincipals.set(sp.id, sp);
    const created: ServicePrincipal = { ...sp };
    return { status: 201, body: created };
  }
  m = method === "DELETE" ? path.match(/^\/directory\/deletedItems\/([^/]+)$/) : null;
  if (m) {
    // directory-deleteditems-delete.md: application and servicePrincipal need
    // Application.ReadWrite.OwnedBy (least) as an application permission; 204 No Content.
    dir.requirePermission(["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"]);
    const item = dir.deletedItems.get(m[1] ?? "");
    if (!item || !dir.isReplicated(`deleted:${item.id}`)) throw notFound(m[1] ?? "");
    dir.deletedItems.delete(item.id);
    dir.purgedAt.push(dir.now());
    return { status: 204 };
  }
  return undefined;
}
