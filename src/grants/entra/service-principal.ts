import type { Profile } from "../../config/schema.js";
import { ProviderError } from "../errors.js";
import type { OrphanFinder, OwnedObject } from "../orphans.js";
import type {
  ActiveGrant,
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
  implements GrantProvider, MemberLister, RequestChecker, OrphanFinder, RevokeReader
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
      const secret = await addPassword(client, clock, app, {
        displayName: `jitbot ${request.requestId}`,
        endDateTime: request.expiresAt.toISOString(),
      });
      if (!secret) throw new ProviderError("UNKNOWN", "Entra did not return the new service principal's secret.");
      await addNewServicePrincipal(client, clock, groupId, sp, this.ctx.graphBaseUrl);
      return {
        state: { applicationId: app.id, appId: app.appId, servicePrincipalId: sp, groupId },
        instructions: this.instructions(request, tenantId, app.appId, secret),
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

  private instructions(request: GrantRequest, tenantId: string, appId: string, secret: string) {
    const login = servicePrincipalLogin(tenantId, appId, secret);
    return {
      summary: `A temporary service principal (${appId}) is a member of Entra group ${groupIdOf(request.profile)} until ${request.expiresAt.toISOString()}.`,
      sections: [
        { heading: "Sign in as the temporary service principal", code: login, secret: true },
        ...aksSections(request.profile),
      ],
      notes: entraNotes(this.ctx.policy, [
        `The password stops working at ${request.expiresAt.toISOString()} and jitbot deletes the service principal then; run \`az logout --username ${appId}\` when you are done.`,
        "A new service principal can take a minute to reach every Entra region: if az login says the application was not found, wait a minute and try again.",
      ]),
    };
  }
}
