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
  ReadBack,
  RequestChecker,
  RevokeOutcome,
  RevokeReader,
} from "../provider.js";
import { aksSections, entraNotes, servicePrincipalLogin } from "./connect.js";
import { type EntraContext, stateString } from "./context.js";
import { addNewServicePrincipal, groupIdOf, memberLister, removeMember } from "./members.js";
import { listApplications, removeApplication } from "./orphans.js";
import { readBackApplication } from "./read-back.js";
import { otherPasswordKeys, removePassword } from "./sp-password.js";
import {
  addPassword,
  deleteForGood,
  findApplication,
  findServicePrincipal,
  servicePrincipalFor,
  uniqueNameFor,
  upsertApplication,
} from "./temporary-app.js";
import { checkServicePrincipalRequest } from "./validate.js";

export { uniqueNameFor };

/**
 * entra-service-principal (the Britive pattern): a throwaway application + service principal whose
 * only password ends at the grant's expiry, made a member of the group. The secret goes to the DM
 * once, in a section marked secret; it is never in the state nor logged. Revoke deletes the app.
 */
export class EntraServicePrincipalProvider
  implements GrantProvider, Extender, MemberLister, RequestChecker, OrphanFinder, RevokeReader
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
    const { client, clock } = this.ctx;
    const groupId = groupIdOf(request.profile);
    // Granting the same request twice reuses its application.
    const { app, created } = await upsertApplication(client, request.requestId, {
      displayName: `jitbot ${request.profile.id} ${request.subject.email}`,
      notes: `Created by jitbot for request ${request.requestId}; deleted when the grant ends.`,
    });
    if (!app) throw new ProviderError("UNKNOWN", "Entra did not return the temporary application jitbot created.");

    let sp: string | undefined;
    try {
      sp = await servicePrincipalFor(client, clock, app);
      const password = await addPassword(client, clock, app, {
        displayName: `jitbot ${request.requestId}`,
        endDateTime: request.expiresAt.toISOString(),
      });
      if (!password) throw new ProviderError("UNKNOWN", "Entra did not return the new service principal's secret.");
      await addNewServicePrincipal(client, clock, groupId, sp, this.ctx.graphBaseUrl);
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
      if (created) await this.deleteQuietly(app.id, sp, request.requestId);
      throw error;
    }
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const { client, clock } = this.ctx;
    const stored = stateString(grant.state, "applicationId");
    const found = stored ? undefined : await findApplication(client, grant.requestId);
    const applicationId = stored ?? found?.id;
    if (!applicationId) return { detail: "no temporary application exists, so nothing to remove" };
    // Without stored state the service principal is found by appId, so it is purged as well.
    const servicePrincipalId =
      stateString(grant.state, "servicePrincipalId") ??
      (found ? await findServicePrincipal(client, found.appId) : undefined);
    const groupId = stateString(grant.state, "groupId") ?? groupIdOf(grant.profile);
    // Deleting the app removes its service principal too; leaving the group first makes the end
    // immediate even while the deletion replicates.
    if (servicePrincipalId) await removeMember(client, groupId, servicePrincipalId);
    const { deleted, purgeNote } = await deleteForGood(client, clock, { id: applicationId }, servicePrincipalId);
    if (purgeNote) {
      this.ctx.logger.warn({ requestId: grant.requestId, applicationId }, "temporary application not purged");
    }
    const detail = deleted ? "temporary service principal deleted" : "temporary service principal was already gone";
    return { detail: purgeNote ? `${detail}; ${purgeNote}` : detail };
  }

  readBack(grant: ActiveGrant): Promise<ReadBack> {
    return readBackApplication(this.ctx, grant, uniqueNameFor(grant.requestId));
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
    const password = await addPassword(
      client,
      this.ctx.clock,
      { id: applicationId, appId },
      { displayName: `jitbot ${grant.requestId}`, endDateTime: expiresAt.toISOString() },
    );
    if (!password) throw new ProviderError("UNKNOWN", "Entra did not return the new service principal's secret.");
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
    return removeApplication(this.ctx.client, this.ctx.clock, object);
  }

  private async deleteQuietly(applicationId: string, servicePrincipalId: string | undefined, requestId: string) {
    try {
      const { purgeNote } = await deleteForGood(
        this.ctx.client,
        this.ctx.clock,
        { id: applicationId },
        servicePrincipalId,
      );
      if (purgeNote) this.ctx.logger.warn({ requestId, applicationId }, "temporary application not purged");
    } catch (error) {
      this.ctx.logger.warn(
        { requestId, applicationId, status: error instanceof Error ? error.name : "unknown" },
        "could not delete the temporary application after a failed grant; delete it by hand",
      );
    }
  }

  private instructions(profile: Profile, expiresAt: Date, tenantId: string, appId: string, secret: string) {
    const login = servicePrincipalLogin(tenantId, appId, secret);
    return {
      summary: `A temporary service principal (${appId}) is a member of Entra group ${groupIdOf(profile)} until ${expiresAt.toISOString()}.`,
      sections: [
        { heading: "Sign in as the temporary service principal", code: login, secret: true },
        ...aksSections(profile),
      ],
      notes: entraNotes(this.ctx.policy, [
        `The password stops working at ${expiresAt.toISOString()} and jitbot deletes the service principal then; run \`az logout --username ${appId}\` when you are done.`,
        "A new service principal can take a minute to reach every Entra region: if az login says the application was not found, wait a minute and try again.",
      ]),
    };
  }
}
