import { type Client, GraphError } from "@microsoft/microsoft-graph-client";
import type { Application, PasswordCredential, ServicePrincipal } from "@microsoft/microsoft-graph-types";
import type { Clock } from "../../domain/clock.js";
import { isProviderError } from "../errors.js";
import { graphCall, graphCallTolerating, isDoesNotExist, isNotFound } from "./errors.js";
import { afterReplication, isMissing } from "./replication.js";

/** Creating, changing and deleting the applications and service principals jitbot owns. */
export const APPS = "Application.ReadWrite.OwnedBy";

/** One application per request, found again by this alternate key after a crash or a retry. */
export function uniqueNameFor(requestId: string): string {
  return `jitbot-${requestId.replace(/[^\w.-]/g, "-")}`;
}

function appPath(requestId: string): string {
  return `/applications(uniqueName='${uniqueNameFor(requestId)}')`;
}

export interface TemporaryApp {
  id: string;
  appId: string;
}

function toTemporaryApp(app: Application | undefined): TemporaryApp | undefined {
  return app?.id && app.appId ? { id: app.id, appId: app.appId } : undefined;
}

export async function findApplication(client: Client, requestId: string): Promise<TemporaryApp | undefined> {
  return graphCall({ action: "look up jitbot's temporary application", permission: APPS }, async () => {
    try {
      return toTemporaryApp((await client.api(appPath(requestId)).select("id,appId").get()) as Application);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  });
}

/**
 * Upsert by uniqueName (application-upsert.md, Prefer: create-if-missing): 201 with the new
 * application, or 204 when this request already has one. `created` says which.
 */
export async function upsertApplication(
  client: Client,
  requestId: string,
  fields: Pick<Application, "displayName" | "notes">,
): Promise<{ app: TemporaryApp | undefined; created: boolean }> {
  const op = { action: "create a temporary application for your access", permission: APPS };
  const body: Application = { displayName: fields.displayName ?? null, notes: fields.notes ?? null };
  const created = toTemporaryApp(
    (await graphCall(op, () => client.api(appPath(requestId)).header("Prefer", "create-if-missing").patch(body))) as
      | Application
      | undefined,
  );
  return { app: created ?? (await findApplication(client, requestId)), created: created !== undefined };
}

export async function findServicePrincipal(client: Client, appId: string): Promise<string | undefined> {
  return graphCall({ action: "look up jitbot's temporary service principal", permission: APPS }, async () => {
    try {
      return (
        ((await client.api(`/servicePrincipals(appId='${appId}')`).select("id").get()) as ServicePrincipal).id ??
        undefined
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  });
}

/**
 * The application's service principal, created if missing. Right after the application was made,
 * Graph can answer that the appId "does not reference a valid application object" until it has
 * replicated; that is waited out.
 */
export async function servicePrincipalFor(client: Client, clock: Clock, app: TemporaryApp): Promise<string> {
  const op = {
    action: "create the temporary service principal",
    permission: APPS,
    created: `the temporary application ${app.appId}`,
  };
  const existing = await findServicePrincipal(client, app.appId);
  if (existing) return existing;
  const body: ServicePrincipal = { appId: app.appId };
  const notYetThere = (error: unknown) =>
    error instanceof GraphError &&
    error.statusCode === 400 &&
    /does not reference a valid application/i.test(error.message);
  const sp = (await afterReplication(clock, op, notYetThere, () =>
    client.api("/servicePrincipals").post(body),
  )) as ServicePrincipal;
  if (!sp.id) throw new Error("Graph created a service principal without an id");
  return sp.id;
}

/** A password that ends at `endDateTime`; the application may still be replicating. */
export async function addPassword(
  client: Client,
  clock: Clock,
  app: TemporaryApp,
  credential: Pick<PasswordCredential, "displayName" | "endDateTime">,
): Promise<{ keyId: string; secretText: string } | undefined> {
  const op = {
    action: "add a password to the temporary application",
    permission: APPS,
    created: `the temporary application ${app.appId}`,
  };
  const passwordCredential: PasswordCredential = { ...credential };
  const password = (await afterReplication(clock, op, isMissing(app.id), () =>
    client.api(`/applications/${app.id}/addPassword`).post({ passwordCredential }),
  )) as PasswordCredential;
  if (!password.secretText || !password.keyId) return undefined;
  // secretText goes to the DM only; the keyId names the password so an extension can replace it.
  return { keyId: password.keyId, secretText: password.secretText };
}

/**
 * Deletes the application (its service principal goes with it) and then removes both from Entra's
 * deleted items for good: soft-deleted objects count toward the app's 250-object quota for 30 days
 * (Microsoft Entra service limits; directory-deleteditems-delete.md, Application.ReadWrite.OwnedBy).
 * Returns a note when the purge did not happen; the access is gone either way.
 */
export async function deleteForGood(
  client: Client,
  clock: Clock,
  app: { id: string; appId?: string },
  servicePrincipalId: string | undefined,
): Promise<{ deleted: boolean; purgeNote?: string }> {
  const deleted = await graphCallTolerating(
    { action: "delete jitbot's temporary application", permission: APPS },
    isDoesNotExist,
    async () => {
      await client.api(`/applications/${app.id}`).delete();
      return true;
    },
  );
  const failures: string[] = [];
  for (const id of [app.id, servicePrincipalId].filter((x): x is string => Boolean(x))) {
    try {
      await afterReplication(
        clock,
        {
          action: `remove ${id} from Entra's deleted items`,
          permission: APPS,
          created: `the deleted object ${id}`,
          notFound: "it is not in Entra's deleted items",
        },
        // Only an object deleted just now may still be on its way into deleted items.
        deleted === true ? isMissing(id) : () => false,
        () => client.api(`/directory/deletedItems/${id}`).delete(),
      );
    } catch (error) {
      // Already gone before this call: an earlier revoke (or an admin) purged it too.
      if (isProviderError(error) && error.code === "NOT_FOUND" && deleted !== true) continue;
      failures.push(isProviderError(error) ? error.userMessage : "unexpected error");
    }
  }
  return {
    deleted: deleted === true,
    ...(failures.length > 0
      ? {
          purgeNote: `NOT removed from Entra's deleted items, so it counts toward jitbot's object quota for 30 days: ${failures.join(" ")}`,
        }
      : {}),
  };
}
