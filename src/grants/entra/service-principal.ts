import type { Client } from "@microsoft/microsoft-graph-client";
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
  RequestChecker,
  RevokeOutcome,
} from "../provider.js";
import { aksSections, entraNotes } from "./connect.js";
import { type EntraContext, stateString } from "./context.js";
import { graphCall, graphCallTolerating, isDoesNotExist, isNotFound } from "./errors.js";
import { addMember, groupIdOf, memberLister, removeMember } from "./members.js";
import { listApplications, removeApplication } from "./orphans.js";
import { APPS, addPassword, otherPasswordKeys, removePassword } from "./sp-password.js";
import { checkServicePrincipalRequest } from "./validate.js";

interface Application {
  id: string;
  appId: string;
}

/** One application per request, found again by this alternate key after a crash or a retry. */
export function uniqueNameFor(requestId: string): string {
  return `jitbot-${requestId.replace(/[^\w.-]/g, "-")}`;
}

function appPath(requestId: string): string {
  return `/applications(uniqueName='${uniqueNameFor(requestId)}')`;
}

async function findApplication(client: Client, requestId: string): Promise<Application | undefined> {
  return graphCall({ action: "look up jitbot's temporary application", permission: APPS }, async () => {
    try {
      return (await client.api(appPath(requestId)).select("id,appId").get()) as Application;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  });
}

/**
 * entra-service-principal (the Britive pattern): a throwaway application + service principal whose
 * only password ends at the grant's expiry, made a member of the group. The secret goes to the DM
 * once, in a section marked secret; it is never in the state nor logged. Revoke deletes the app.
 */
export class EntraServicePrincipalProvider
  implements GrantProvider, Extender, MemberLister, RequestChecker, OrphanFinder
{
  readonly type = "entra-service-principal" as const;
  private readonly lister: MemberLister;

  constructor(private readonly ctx: EntraContext) {
    this.lister = memberLister(ctx.client);
  }

  checkRequest(): string | undefined {
    return checkServicePrincipalRequest(this.ctx.tenantId);
  }

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    const tenantId = this.ctx.tenantId;
    const refusal = checkServicePrincipalRequest(tenantId);
    if (refusal || !tenantId) throw new ProviderError("INVALID_REQUEST", refusal ?? "no tenant id");
    const client = this.ctx.client;
    const groupId = groupIdOf(request.profile);
    const op = { action: "create a temporary application for your access", permission: APPS };

    // Upsert by uniqueName: granting the same request twice reuses its application.
    const created = (await graphCall(op, () =>
      client
        .api(appPath(request.requestId))
        .header("Prefer", "create-if-missing")
        .patch({
          displayName: `jitbot ${request.profile.id} ${request.subject.email}`,
          notes: `Created by jitbot for request ${request.requestId}; deleted when the grant ends.`,
        }),
    )) as Application | undefined;
    const app = created ?? (await findApplication(client, request.requestId));
    if (!app) throw new ProviderError("UNKNOWN", "Entra did not return the temporary application jitbot created.");

    try {
      const sp = await this.servicePrincipalFor(app.appId);
      const password = await addPassword(client, app.id, request.requestId, request.expiresAt);
      await addMember(client, groupId, sp, this.ctx.graphBaseUrl);
      return {
        // The keyId names the password (it is no secret): an extension replaces it by a later one.
        state: {
          applicationId: app.id,
          appId: app.appId,
          servicePrincipalId: sp,
          groupId,
          passwordKeyId: password.keyId,
        },
        instructions: this.instructions(request.profile, request.expiresAt, tenantId, app.appId, password.secretText),
        providerExpiresAt: request.expiresAt,
      };
    } catch (error) {
      // Only an application this call made is cleaned up: a retried grant must not delete a live one.
      if (created) await this.deleteQuietly(app.id, request.requestId);
      throw error;
    }
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const client = this.ctx.client;
    const applicationId =
      stateString(grant.state, "applicationId") ?? (await findApplication(client, grant.requestId))?.id;
    if (!applicationId) return { detail: "no temporary application exists, so nothing to remove" };
    const servicePrincipalId = stateString(grant.state, "servicePrincipalId");
    const groupId = stateString(grant.state, "groupId") ?? groupIdOf(grant.profile);
    // Deleting the app removes its service principal too; leaving the group first makes the end
    // immediate even while the deletion replicates.
    if (servicePrincipalId) await removeMember(client, groupId, servicePrincipalId);
    const deleted = await graphCallTolerating(
      { action: "delete jitbot's temporary application", permission: APPS },
      isDoesNotExist,
      async () => {
        await client.api(`/applications/${applicationId}`).delete();
        return true;
      },
    );
    return { detail: deleted ? "temporary service principal deleted" : "temporary service principal was already gone" };
  }

  /**
   * Entra refuses the secret after its endDateTime, whatever jitbot does, so an extension needs a
   * new secret that ends at the new end; the old one is then removed, and the DM carries the new one.
   * If the old one cannot be removed the new one is withdrawn again and the extension fails.
   */
  async extend(grant: ActiveGrant, expiresAt: Date): Promise<ExtendOutcome> {
    const client = this.ctx.client;
    const tenantId = this.ctx.tenantId;
    const applicationId = stateString(grant.state, "applicationId");
    const appId = stateString(grant.state, "appId");
    if (!applicationId || !appId || !tenantId) {
      throw new ProviderError("INVALID_REQUEST", "jitbot does not know this grant's temporary application.");
    }
    const password = await addPassword(client, applicationId, grant.requestId, expiresAt);
    try {
      const old = stateString(grant.state, "passwordKeyId");
      const stale = old ? [old] : await otherPasswordKeys(client, applicationId, password.keyId);
      for (const keyId of stale) await removePassword(client, applicationId, keyId);
    } catch (error) {
      await removePassword(client, applicationId, password.keyId).catch(() =>
        this.ctx.logger.warn(
          { requestId: grant.requestId, applicationId },
          "could not withdraw the new password of a failed extension; it goes when the application is deleted",
        ),
      );
      throw error;
    }
    return {
      state: { ...grant.state, passwordKeyId: password.keyId },
      providerExpiresAt: expiresAt,
      instructions: this.instructions(grant.profile, expiresAt, tenantId, appId, password.secretText),
      detail: `new secret of the temporary service principal ends at ${expiresAt.toISOString()}; the old one was removed`,
    };
  }

  listMembers(profile: Profile) {
    return this.lister.listMembers(profile);
  }

  listOwned(profile: Profile): Promise<OwnedObject[]> {
    return listApplications(this.ctx.client, profile);
  }

  removeOrphan(_profile: Profile, object: OwnedObject): Promise<string | undefined> {
    return removeApplication(this.ctx.client, object);
  }

  private async servicePrincipalFor(appId: string): Promise<string> {
    const client = this.ctx.client;
    const op = { action: "create the temporary service principal", permission: APPS };
    const existing = await graphCall(op, async () => {
      try {
        return (await client.api(`/servicePrincipals(appId='${appId}')`).select("id").get()) as { id: string };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
    if (existing) return existing.id;
    const sp = (await graphCall(op, () => client.api("/servicePrincipals").post({ appId }))) as { id: string };
    return sp.id;
  }

  private async deleteQuietly(applicationId: string, requestId: string): Promise<void> {
    try {
      await this.ctx.client.api(`/applications/${applicationId}`).delete();
    } catch (error) {
      this.ctx.logger.warn(
        { requestId, applicationId, status: error instanceof Error ? error.name : "unknown" },
        "could not delete the temporary application after a failed grant; delete it by hand",
      );
    }
  }

  private instructions(profile: Profile, expiresAt: Date, tenantId: string, appId: string, secret: string) {
    const login = `az login --service-principal --tenant ${tenantId} --username ${appId} --password '${secret.replaceAll("'", `'\\''`)}'`;
    return {
      summary: `A temporary service principal (${appId}) is a member of Entra group ${groupIdOf(profile)} until ${expiresAt.toISOString()}.`,
      sections: [
        { heading: "Sign in as the temporary service principal", code: login, secret: true },
        ...aksSections(profile, { freshTokens: true }),
      ],
      notes: entraNotes(this.ctx.policy, [
        `The password stops working at ${expiresAt.toISOString()} and jitbot deletes the service principal then; run \`az logout --username ${appId}\` when you are done.`,
        "A new service principal can take a minute to reach every Entra region: if az login says the application was not found, wait a minute and try again.",
      ]),
    };
  }
}
